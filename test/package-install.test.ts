/**
 * The package as a user gets it: packed, installed into a fresh project from the tarball — without either
 * database driver, which are optional peer dependencies — and the README example (plus a PostgreSQL
 * import) type-checked strictly with `skipLibCheck: false`, so that every type the shipped `.d.ts` files
 * refer to resolves from what the install brings. Then a store and `authnotify serve` without their driver
 * say what to install, instead of failing on a missing module.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const built = existsSync(join(ROOT, 'dist/index.d.ts'));

function readmeExample(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const m = /<!-- declare: ([\s\S]*?) -->\n```ts\n([\s\S]*?)```/.exec(readme);
  if (!m) throw new Error('the README has no declared ts example');
  return `${m[1]}\n${m[2]}\nexport {};\n`;
}

describe.skipIf(!built)('the packed package in a fresh project', () => {
  it('type-checks the README example and a PostgreSQL store strictly, without skipLibCheck or the drivers', () => {
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-install-'));
    const run = (command: string, args: string[]) =>
      execFileSync(command, args, {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 180_000,
      });
    // dist/ is already built (by `npm ci`): pack it as it is.
    execFileSync('npm', ['pack', '--ignore-scripts', '--pack-destination', dir], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz')) as string;
    writeFileSync(
      join(dir, 'package.json'),
      '{ "name": "install-check", "private": true, "type": "module" }\n',
    );
    run('npm', [
      'install',
      '--ignore-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      `./${tarball}`,
      'express@5',
      '@types/express@5',
      'typescript@5.9',
      '@types/node@20',
    ]);
    writeFileSync(join(dir, 'readme.ts'), readmeExample());
    writeFileSync(
      join(dir, 'postgres.ts'),
      "import { createPostgresStore } from 'authnotify/store/postgres';\nexport const open = () => createPostgresStore({ connectionString: 'postgres://localhost/app' });\n",
    );
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          skipLibCheck: false,
          types: ['node'],
        },
        files: ['readme.ts', 'postgres.ts'],
      }),
    );
    let output = '';
    try {
      output = run(join(dir, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json']);
    } catch (error) {
      output = String((error as { stdout?: string }).stdout ?? error);
    }
    expect(output).toBe('');
    // Optional peers: npm installed neither driver.
    expect(existsSync(join(dir, 'node_modules/better-sqlite3'))).toBe(false);
    expect(existsSync(join(dir, 'node_modules/pg'))).toBe(false);
    const opened = run(process.execPath, [
      '--input-type=module',
      '-e',
      "import('authnotify/store/sqlite').then((m) => m.createSqliteStore({ path: ':memory:' })).then(() => console.log('opened'), (e) => console.log(e.code, e.message, '|', e.hint))",
    ]);
    expect(opened).toMatch(
      /^CONFIG_INVALID better-sqlite3 is not installed: the SQLite store needs it \| Install it in your project: npm install better-sqlite3@12/,
    );
    const pgOpened = run(process.execPath, [
      '--input-type=module',
      '-e',
      "import('authnotify/store/postgres').then((m) => m.createPostgresStore({ connectionString: 'postgres://127.0.0.1/x' })).then(() => console.log('opened'), (e) => console.log(e.code, e.hint))",
    ]);
    expect(pgOpened).toMatch(/^CONFIG_INVALID Install it in your project: npm install pg@8/);
    let serve: { status: number | null; stderr: string };
    try {
      run(process.execPath, [
        join(dir, 'node_modules/authnotify/dist/cli/main.js'),
        'serve',
        '--client-id',
        'SANDBOX_INSTALL',
        '--alipay-public-key',
        join(ROOT, 'test/fixtures/keys/alipay-v1.public.pem'),
        '--database',
        join(dir, 'app.db'),
        '--port',
        '0',
      ]);
      serve = { status: 0, stderr: '' };
    } catch (error) {
      const e = error as { status: number | null; stderr?: string };
      serve = { status: e.status, stderr: String(e.stderr ?? '') };
    }
    expect(serve.status).toBe(2);
    expect(serve.stderr).toMatch(
      /better-sqlite3 is not installed.*\nhint: Install it in your project: npm install better-sqlite3@12/,
    );
    expect(readdirSync(dir).filter((f) => f.startsWith('app.db'))).toEqual([]); // nothing opened or written
  }, 240_000);
});
