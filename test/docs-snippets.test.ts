/**
 * Every ```ts block in README.md and docs/ compiles against the published entry points. Names a block
 * assumes (an `app`, a `receiver`) are declared in a `<!-- declare: … -->` comment right before it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('..', import.meta.url).pathname;
const OUT = join(ROOT, 'test-results/doc-snippets');
const files = [
  'README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const built = existsSync(join(ROOT, 'dist/index.d.ts'));

function snippets(): { name: string; code: string }[] {
  const out: { name: string; code: string }[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), 'utf8');
    let i = 0;
    for (const m of text.matchAll(/(?:<!-- declare: ([\s\S]*?) -->\n)?```ts\n([\s\S]*?)```/g)) {
      out.push({
        name: `${file.replace(/[/.]/g, '_')}_${i++}`,
        code: `${m[1] ?? ''}\n${m[2]}\nexport {};\n`,
      });
    }
  }
  return out;
}

describe.skipIf(!built)('code samples in the docs', () => {
  it('every ts block type-checks (strict) against the built package', () => {
    const all = snippets();
    expect(all.length).toBeGreaterThanOrEqual(5);
    rmSync(OUT, { recursive: true, force: true });
    mkdirSync(OUT, { recursive: true });
    for (const s of all) writeFileSync(join(OUT, `${s.name}.ts`), s.code);
    const tsconfig = {
      extends: '../../tsconfig.json',
      compilerOptions: { noEmit: true, noUnusedLocals: false },
      include: ['./*.ts'],
    };
    writeFileSync(join(OUT, 'tsconfig.json'), JSON.stringify(tsconfig));
    let output = '';
    try {
      execFileSync(
        process.execPath,
        [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(OUT, 'tsconfig.json')],
        { encoding: 'utf8' },
      );
    } catch (error) {
      output = `${(error as { stdout?: string }).stdout ?? ''}`;
    }
    expect(output).toBe('');
  }, 60_000);
});
