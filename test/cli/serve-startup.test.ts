/**
 * `authnotify serve` starting up: every configuration mistake exits 2 at once with one message naming the
 * problem and the fix, before a store, a thread or a file exists; runtime failures exit 1 the same way;
 * secrets are never empty, short, half-written or silently replaced (issue 11, section 2).
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createReceiver } from '../../src/receiver/receiver.js';
import { ADMIN_TOKEN, planSecret, writeSecretFileAtomically } from '../../src/service/secret-file.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { cli } from '../helpers/cli.js';
import { FIXTURES, fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, OK, SECRET, signAsFixtureAlipay } from '../helpers/receiver.js';
import { runCliProcess, serveArgs } from '../helpers/serve-process.js';
import { startTestService } from '../helpers/service.js';

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-startup-'));
  dirs.push(dir);
  return dir;
}

/** A 64 KiB tmpfs to fill up; undefined where it cannot be mounted (needs root). */
const tmpfs = (() => {
  const mountPoint = freshDir();
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return mountPoint;
  } catch {
    return undefined;
  }
})();

afterAll(() => {
  if (tmpfs) execFileSync('umount', ['-l', tmpfs], { stdio: 'ignore' });
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Sends SIGTERM and expects a clean exit, showing what the process said otherwise. */
async function stop(run: ReturnType<typeof runCliProcess>): Promise<void> {
  run.child.kill('SIGTERM');
  const code = await run.exited();
  expect({ code, stderr: run.stderr() }).toMatchObject({ code: 0 });
}

const GOOD_TOKEN = 't'.repeat(40);
const FIXTURE_KEYS = `${FIXTURES}keys/`;

interface Case {
  /** Extra serve arguments; `DIR` is replaced by the case's directory. */
  args: string[];
  env?: Record<string, string>;
  /** Files to create in the directory first. */
  files?: Record<string, string>;
  message: RegExp;
}

async function refuses(c: Case): Promise<{ stderr: string; dir: string }> {
  const dir = freshDir();
  for (const [name, text] of Object.entries(c.files ?? {})) writeFileSync(join(dir, name), text);
  const before = readdirSync(dir).sort();
  const args = c.args.map((a) => a.replaceAll('DIR', dir));
  const run = await cli(['serve', ...serveArgs(join(dir, 'a.db'), ...args)], { env: c.env ?? {} });
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(c.message);
  expect(run.stderr.trim().split('\n')).toHaveLength(2); // "error [CODE]: …" and "hint: …"
  expect(run.stderr).not.toMatch(/\n\s+at /);
  // Nothing opened or written: no database, no generated secret.
  expect(readdirSync(dir).sort()).toEqual(before);
  return { stderr: run.stderr, dir };
}

describe('serve refuses an admin token that would open the admin API', () => {
  it.each<[string, Case]>([
    [
      'an empty --admin-token (what "$UNSET" becomes)',
      { args: ['--admin-token', ''], message: /--admin-token: the admin token is empty/ },
    ],
    [
      'a 1-character --admin-token',
      { args: ['--admin-token', 'x'], message: /is 1 characters; at least 32/ },
    ],
    [
      'a 31-character AUTHNOTIFY_ADMIN_TOKEN',
      {
        args: [],
        env: { AUTHNOTIFY_ADMIN_TOKEN: 'x'.repeat(31) },
        message: /AUTHNOTIFY_ADMIN_TOKEN: .*31 characters/,
      },
    ],
    [
      '"adminToken": "" in the config file',
      {
        args: ['--config', 'DIR/c.json'],
        files: { 'c.json': '{"adminToken": ""}' },
        message: /"adminToken" in .*c\.json: the admin token is empty/,
      },
    ],
    [
      'a short "adminToken" in the config file',
      {
        args: ['--config', 'DIR/c.json'],
        files: { 'c.json': '{"adminToken": "secret"}' },
        message: /"adminToken" in .*: the admin token is 6 characters/,
      },
    ],
    [
      'an empty .admin-token file beside the database (a full disk on an earlier start)',
      { args: [], files: { 'a.db.admin-token': '' }, message: /a\.db\.admin-token is empty/ },
    ],
    [
      'a short .admin-token file beside the database',
      { args: [], files: { 'a.db.admin-token': 'abc\n' }, message: /is 3 characters; at least 32/ },
    ],
    [
      'an empty --admin-token-file',
      {
        args: ['--admin-token-file', 'DIR/t'],
        files: { t: '\n' },
        message: /--admin-token-file: .*t is empty/,
      },
    ],
    [
      'a missing --admin-token-file',
      { args: ['--admin-token-file', 'DIR/none'], message: /--admin-token-file: .*none does not exist/ },
    ],
    [
      '--admin-token env:NAME with NAME unset',
      {
        args: ['--admin-token', 'env:NOT_SET_ANYWHERE'],
        message: /environment variable NOT_SET_ANYWHERE is not set/,
      },
    ],
    [
      'a token with whitespace in it',
      { args: ['--admin-token', `${'a'.repeat(20)} ${'b'.repeat(20)}`], message: /whitespace/ },
    ],
    [
      'both --admin-token and --admin-token-file',
      {
        args: ['--admin-token', GOOD_TOKEN, '--admin-token-file', 'DIR/t'],
        files: { t: GOOD_TOKEN },
        message: /--admin-token: is given together with --admin-token-file/,
      },
    ],
  ])('exits 2 for %s, naming it, writing nothing', async (_label, c) => {
    const { stderr } = await refuses(c);
    if (!/together|not set|does not exist/.test(stderr))
      expect(stderr).toMatch(/openssl rand|write the secret/);
  });

  it('accepts a token from --admin-token-file and from env:NAME (no secret in the process list)', async () => {
    const dir = freshDir();
    writeFileSync(join(dir, 'token'), `${GOOD_TOKEN}\n`, { mode: 0o600 });
    for (const args of [
      ['--admin-token-file', join(dir, 'token')],
      ['--admin-token', 'env:MY_TOKEN'],
    ]) {
      const run = runCliProcess(['serve', ...serveArgs(join(dir, 'a.db'), ...args)], {
        MY_TOKEN: GOOD_TOKEN,
      });
      const { url, adminTokenFile } = JSON.parse(await run.firstLine) as {
        url: string;
        adminTokenFile?: string;
      };
      expect(adminTokenFile).toBeUndefined();
      expect((await fetch(`${url}/api/v1/notifications`)).status).toBe(401);
      const ok = await fetch(`${url}/api/v1/notifications`, {
        headers: { authorization: `Bearer ${GOOD_TOKEN}` },
      });
      expect(ok.status).toBe(200);
      await stop(run);
    }
  }, 30_000);

  it('the service itself refuses a short admin token (library users too)', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    for (const adminToken of ['', 'x', 'y'.repeat(31)])
      await expect(startTestService({ store, adminToken })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await store.close();
  });
});

describe('serve validates all configuration before opening or writing anything', () => {
  it.each<[string, Case]>([
    [
      'a garbage Alipay key file',
      {
        args: ['--alipay-public-key', '2=DIR/k.pem'],
        files: { 'k.pem': 'garbage' },
        message: /--alipay-public-key: keyVersion 2:/,
      },
    ],
    [
      'an empty Alipay key file',
      {
        args: ['--alipay-public-key', '2=DIR/k.pem'],
        files: { 'k.pem': '' },
        message: /keyVersion 2: the key is empty/,
      },
    ],
    [
      'a private key given as the Alipay public key',
      {
        args: ['--alipay-public-key', '2=DIR/k.pem'],
        files: { 'k.pem': fixtureText('keys/alipay-v1.private.pem') },
        message: /expected a public key but this is a private key/,
      },
    ],
    [
      'a secret key that is not base64 or hex',
      {
        args: ['--secret-key', 'not-base64!!'],
        message: /--secret-key: the secret key is neither base64 nor hex/,
      },
    ],
    [
      'a 16-byte secret key',
      {
        args: ['--secret-key', 'a'.repeat(32)],
        message: /--secret-key: the secret key is 24 bytes; at least 32/,
      },
    ],
    [
      'an empty --secret-key-file',
      { args: ['--secret-key-file', 'DIR/s'], files: { s: '' }, message: /--secret-key-file: .* is empty/ },
    ],
    [
      'an empty .secret-key beside the database',
      { args: [], files: { 'a.db.secret-key': '' }, message: /a\.db\.secret-key is empty/ },
    ],
    [
      'a database in a missing directory',
      {
        args: ['--database', 'DIR/no/such/dir/a.db'],
        message: /--database: the directory .*no\/such\/dir does not exist/,
      },
    ],
    [
      'a garbage merchant private key with the flow on',
      {
        args: ['--alipay-endpoint', 'ASIA', '--merchant-private-key', 'DIR/m.pem'],
        files: { 'm.pem': '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
        message: /--merchant-private-key: the key:/,
      },
    ],
    [
      'a --forward-to that is not an http(s) URL',
      {
        args: ['--forward-to', 'ftp://example.com/events'],
        message: /--forward-to: "ftp:\/\/example.com\/events" is not an http\(s\) URL/,
      },
    ],
    [
      'a --forward-secret without whsec_',
      {
        args: ['--forward-to', 'http://127.0.0.1:9/e', '--forward-secret', 'hunter2-hunter2-hunter2-hunter2'],
        message: /--forward-secret does not start with "whsec_"/,
      },
    ],
    [
      'a --forward-secret of 16 bytes',
      {
        args: [
          '--forward-to',
          'http://127.0.0.1:9/e',
          '--forward-secret',
          `whsec_${Buffer.alloc(16, 1).toString('base64')}`,
        ],
        message: /--forward-secret holds 16 bytes/,
      },
    ],
    [
      'a --forward-secret from an unset variable',
      {
        args: ['--forward-to', 'http://127.0.0.1:9/e', '--forward-secret', 'env:NOPE'],
        message: /environment variable NOPE is not set/,
      },
    ],
    [
      'a --forward-secret without --forward-to',
      {
        args: ['--forward-secret', `whsec_${Buffer.alloc(32, 1).toString('base64')}`],
        message: /given without --forward-to/,
      },
    ],
    [
      'an unknown --forward-types entry',
      {
        args: ['--forward-to', 'http://127.0.0.1:9/e', '--forward-types', 'authorization.paused'],
        message: /"authorization.paused" is not an event type/,
      },
    ],
    [
      'an --event-retention under an hour',
      {
        args: ['--event-retention', '10m'],
        message: /--event-retention: "10m" is not a duration of an hour or more/,
      },
    ],
  ])('exits 2 for %s, naming it', async (_label, c) => {
    await refuses(c);
  });

  it.each([
    ['a garbage Alipay key file', (dir: string) => ['--alipay-public-key', `2=${dir}/k.pem`]],
    ['a non-base64 secret key', () => ['--secret-key', 'not-base64!!']],
  ])(
    'as a process, exits 2 on %s instead of hanging with nothing listening',
    async (_label, extra) => {
      const dir = freshDir();
      writeFileSync(join(dir, 'k.pem'), 'garbage');
      const run = runCliProcess(['serve', ...serveArgs(join(dir, 'a.db'), ...extra(dir))]);
      expect(await run.exited()).toBe(2);
      expect(run.stderr()).toMatch(/^error \[CONFIG_INVALID\]/);
      expect(readdirSync(dir)).toEqual(['k.pem']);
    },
    30_000,
  );

  it('exits 1 with one message, no stack trace, when the port is in use; nothing is left running', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as AddressInfo).port;
    try {
      const dir = freshDir();
      const args = serveArgs(join(dir, 'a.db'));
      args[1] = String(port);
      const run = runCliProcess(['serve', ...args]);
      expect(await run.exited()).toBe(1);
      expect(run.stderr()).toMatch(
        new RegExp(`error \\[STARTUP_FAILED\\]: port ${port} on 127.0.0.1 is already in use`),
      );
      expect(run.stderr()).toMatch(/hint: .*--port/);
      expect(run.stderr()).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  }, 30_000);
});

describe('secret files', () => {
  it('writes generated secrets and the database with mode 0600, and reuses them on the next start', async () => {
    const dir = freshDir();
    const db = join(dir, 'a.db');
    for (let start = 0; start < 2; start++) {
      const run = runCliProcess(['serve', ...serveArgs(db)]);
      await run.firstLine;
      await stop(run);
    }
    for (const file of ['a.db', 'a.db.admin-token', 'a.db.secret-key'])
      expect((statSync(join(dir, file)).mode & 0o777).toString(8)).toBe('600');
    expect(readFileSync(join(dir, 'a.db.admin-token'), 'utf8').trim()).toHaveLength(48);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 30_000);

  it('warns about a secret file that others may read', () => {
    const dir = freshDir();
    const file = join(dir, 'a.db.admin-token');
    writeFileSync(file, GOOD_TOKEN);
    chmodSync(file, 0o644);
    const warnings: string[] = [];
    const plan = planSecret(ADMIN_TOKEN, undefined, { kind: 'sqlite', path: join(dir, 'a.db') }, (m) =>
      warnings.push(m),
    );
    expect(plan).toMatchObject({ kind: 'value', value: GOOD_TOKEN });
    expect(warnings.join('\n')).toMatch(/readable by other users \(mode 644\); run chmod 600/);
  });

  it('never replaces a secret file another process wrote meanwhile', () => {
    const dir = freshDir();
    const file = join(dir, 'x');
    expect(writeSecretFileAtomically(file, 'first')).toBe(true);
    expect(writeSecretFileAtomically(file, 'second')).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('first\n');
  });

  it.skipIf(tmpfs === undefined)(
    'leaves no file at all when the disk is full, so the next start cannot run with an empty token',
    () => {
      const mountPoint = tmpfs as string;
      try {
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(128 * 1024));
      } catch {
        // full now
      }
      const file = join(mountPoint, 'a.db.admin-token');
      expect(() => writeSecretFileAtomically(file, 'z'.repeat(48))).toThrow(
        /could not write .*a\.db\.admin-token/,
      );
      expect(existsSync(file)).toBe(false);
      expect(readdirSync(mountPoint)).toEqual(['filler']);
    },
  );
});

describe('the secret key is bound to its database', () => {
  it('refuses a missing key file for a database with data, and a different key, until the original is back', async () => {
    const dir = freshDir();
    const db = join(dir, 'a.db');
    const first = runCliProcess(['serve', ...serveArgs(db)]);
    const { url } = JSON.parse(await first.firstLine) as { url: string };
    const s = await signAsFixtureAlipay({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-bound',
      result: OK,
    });
    expect(
      (await fetch(`${url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body })).status,
    ).toBe(200);
    await stop(first);
    const original = readFileSync(`${db}.secret-key`, 'utf8');

    rmSync(`${db}.secret-key`);
    const missing = runCliProcess(['serve', ...serveArgs(db)]);
    expect(await missing.exited()).toBe(2);
    expect(missing.stderr()).toMatch(/a\.db\.secret-key is missing, but the database already holds data/);
    expect(existsSync(`${db}.secret-key`)).toBe(false); // not silently regenerated

    const other = runCliProcess(['serve', ...serveArgs(db, '--secret-key', 'b'.repeat(64))]);
    expect(await other.exited()).toBe(2);
    expect(other.stderr()).toMatch(
      /--secret-key: this is not the secret key the database was first used with/,
    );

    writeFileSync(`${db}.secret-key`, original, { mode: 0o600 });
    const again = runCliProcess(['serve', ...serveArgs(db)]);
    await again.firstLine;
    await stop(again);
  }, 60_000);

  it('createReceiver refuses a store first used with another secret key', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    const options = {
      clientId: CLIENT_ID,
      alipayPublicKeys: { '1': fixtureText('keys/alipay-v1.public.pem') },
      store,
    };
    await createReceiver({ ...options, secretKey: SECRET });
    await createReceiver({ ...options, secretKey: SECRET });
    await expect(createReceiver({ ...options, secretKey: 'b'.repeat(64) })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringMatching(/not the secret key the database was first used with/),
    });
    await store.close();
  });
});

describe('sandbox, dev and send start the same way', () => {
  const blockPort = async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    return { blocker, port: (blocker.address() as AddressInfo).port };
  };

  it.each<[string, (dir: string, port: number) => string[], number, RegExp]>([
    [
      'sandbox with an empty merchant key file',
      (dir) => [
        'sandbox',
        '--client-id',
        'X',
        '--merchant-public-key',
        '/dev/null',
        '--database',
        `${dir}/s.db`,
        '--keys-dir',
        `${dir}/k`,
      ],
      2,
      /error \[CONFIG_INVALID\]: --merchant-public-key: keyVersion 1: the key is empty/,
    ],
    [
      'sandbox on a port in use',
      (dir, port) => [
        'sandbox',
        '--client-id',
        'X',
        '--merchant-public-key',
        `${FIXTURE_KEYS}alipay-v1.public.pem`,
        '--database',
        `${dir}/s.db`,
        '--keys-dir',
        `${dir}/k`,
        '--port',
        String(port),
      ],
      1,
      /error \[STARTUP_FAILED\]: port \d+ on 127\.0\.0\.1 is already in use/,
    ],
    [
      'dev when one of its ports is in use',
      (dir, port) => ['dev', '--dir', `${dir}/dev`, '--port', String(port - 1)],
      1,
      /error \[STARTUP_FAILED\]: port \d+ on 127\.0\.0\.1 is already in use/,
    ],
    [
      'send with a public key as the private key',
      (_dir, port) => [
        'send',
        'TOKEN_CANCELED',
        '--to',
        `http://127.0.0.1:${port}/n`,
        '--client-id',
        'X',
        '--private-key',
        `${FIXTURE_KEYS}alipay-v1.public.pem`,
      ],
      2,
      /expected a private key but this is a public key/,
    ],
  ])(
    '%s: exits with the right code and one message, no stack trace, nothing left running',
    async (_label, args, code, message) => {
      const { blocker, port } = await blockPort();
      try {
        const run = runCliProcess(args(freshDir(), port));
        expect(await run.exited()).toBe(code);
        expect(run.stderr()).toMatch(message);
        expect(run.stderr()).not.toMatch(/\n\s+at /);
      } finally {
        blocker.close();
      }
    },
    30_000,
  );
});
