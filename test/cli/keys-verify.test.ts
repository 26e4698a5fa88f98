import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeKey } from '../../src/protocol/index.js';
import { signNotification } from '../../src/testing/sign.js';
import { cli } from '../helpers/cli.js';
import { FIXTURES, signatureFixture } from '../helpers/fixtures.js';

const fixture = signatureFixture();
const seedCase = fixture.cases[0] as (typeof fixture.cases)[0];
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'authnotify-cli-'));
  writeFileSync(join(dir, 'body.json'), seedCase.body);
  writeFileSync(join(dir, 'body-nl.json'), `${seedCase.body}\n`);
  writeFileSync(
    join(dir, 'headers.txt'),
    `POST ${fixture.canonicalPath} HTTP/1.1\r\n${Object.entries(seedCase.headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n`,
  );
});

const publicKey = `${FIXTURES}keys/alipay-v1.public.pem`;
const headerFlags = () => [
  '--client-id',
  fixture.clientId,
  '--path',
  fixture.canonicalPath,
  '--request-time',
  seedCase.headers['Request-Time'] as string,
  '--signature',
  seedCase.headers.Signature as string,
];

describe('authnotify keys generate', () => {
  it('writes every format, private keys with mode 0600', async () => {
    const out = join(dir, 'keys');
    const run = await cli(['keys', 'generate', '--out', out, '--json']);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout) as { files: { path: string; kind: string; format: string }[] };
    expect(result.files).toHaveLength(6);
    for (const file of result.files) {
      const mode = statSync(file.path).mode & 0o777;
      expect(mode).toBe(file.kind === 'private' ? 0o600 : 0o644);
      expect(describeKey(readFileSync(file.path, 'utf8'))).toMatchObject({ kind: file.kind, bits: 2048 });
    }
  });

  it('refuses to overwrite existing keys without --force (exit 2)', async () => {
    const out = join(dir, 'keys2');
    expect((await cli(['keys', 'generate', '--out', out])).code).toBe(0);
    const again = await cli(['keys', 'generate', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already exists; pass --force/);
    expect((await cli(['keys', 'generate', '--out', out, '--force'])).code).toBe(0);
  });
});

describe('authnotify keys inspect', () => {
  it.each([
    ['a PKCS#8 PEM private key', 'keys/alipay-v1.private.pem', /^private key, RSA-2048, PKCS#8\n/],
    [
      'a PKCS#1 one-line private key',
      'keys/alipay-v1.private.pkcs1.txt',
      /^private key, RSA-2048, PKCS#1 RSAPrivateKey\n/,
    ],
    ['an SPKI PEM public key', 'keys/alipay-v1.public.pem', /^public key, RSA-2048, SPKI/],
    ['a PKCS#1 public key', 'keys/alipay-v1.public-pkcs1.pem', /^public key, RSA-2048, PKCS#1 RSAPublicKey/],
  ])('describes %s, and a pair shares one fingerprint', async (_name, file, first) => {
    const run = await cli(['keys', 'inspect', `${FIXTURES}${file}`]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(first);
    const pair = await cli(['keys', 'inspect', `${FIXTURES}keys/alipay-v1.public.txt`, '--json']);
    const fingerprint = (JSON.parse(pair.stdout) as { publicKeySha256: string }).publicKeySha256;
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/);
    expect(run.stdout).toContain(fingerprint);
  });

  it('tells two different keys apart, and exits 2 naming the problem for something that is no key', async () => {
    const v1 = await cli(['keys', 'inspect', `${FIXTURES}keys/alipay-v1.public.pem`, '--json']);
    const v2 = await cli(['keys', 'inspect', `${FIXTURES}keys/alipay-v2.public.pem`, '--json']);
    expect(JSON.parse(v1.stdout).publicKeySha256).not.toBe(JSON.parse(v2.stdout).publicKeySha256);
    const ec = await cli(['keys', 'inspect', `${FIXTURES}keys/ec-p256.public.pem`]);
    expect(ec.code).toBe(2);
    expect(ec.stderr).toMatch(/an EC key, not an RSA key/);
  });
});

describe('authnotify verify', () => {
  it('exits 0 and says valid for a genuine notification', async () => {
    const run = await cli([
      'verify',
      '--public-key',
      publicKey,
      ...headerFlags(),
      '--body',
      join(dir, 'body.json'),
    ]);
    expect(run).toMatchObject({ code: 0 });
    expect(run.stdout).toMatch(/^valid: signature verifies with keyVersion 1/);
  });

  it('reads raw header lines and the path from the request line', async () => {
    const run = await cli([
      'verify',
      '--public-key',
      publicKey,
      '--client-id',
      fixture.clientId,
      '--headers',
      join(dir, 'headers.txt'),
      '--body',
      join(dir, 'body.json'),
    ]);
    expect(run.code).toBe(0);
  });

  it('reads the body from standard input', async () => {
    const run = await cli(['verify', '--public-key', publicKey, ...headerFlags(), '--body', '-'], {
      stdin: seedCase.body,
    });
    expect(run.code).toBe(0);
  });

  it('takes VERSION=KEY and env:VAR key sources', async () => {
    const env = { ALIPAY_KEY: readFileSync(publicKey, 'utf8') };
    const run = await cli(
      ['verify', '--public-key', '1=env:ALIPAY_KEY', ...headerFlags(), '--body', join(dir, 'body.json')],
      { env },
    );
    expect(run.code).toBe(0);
  });

  it('exits 1 with the verdict, the visible signed content and the likely cause', async () => {
    const run = await cli([
      'verify',
      '--public-key',
      publicKey,
      ...headerFlags(),
      '--body',
      join(dir, 'body-nl.json'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('invalid: INVALID_SIGNATURE');
    expect(run.stdout).toContain(`POST ${fixture.canonicalPath}\\n${fixture.clientId}.`);
    expect(run.stdout).toContain(
      "cause: The key matches (keyVersion 1's key made this signature), but the signed bytes differ: Alipay signed the body without its trailing newline.",
    );
    expect(run.stdout).toContain('the body file ends with a newline');
  });

  it('prints a JSON verdict with --json', async () => {
    const run = await cli([
      'verify',
      '--public-key',
      publicKey,
      ...headerFlags(),
      '--body',
      join(dir, 'body-nl.json'),
      '--json',
    ]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
      checked: [{ path: fixture.canonicalPath }],
    });
  });

  it('applies the Request-Time window only with --check-time', async () => {
    const run = await cli([
      'verify',
      '--public-key',
      publicKey,
      ...headerFlags(),
      '--body',
      join(dir, 'body.json'),
      '--check-time',
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('REQUEST_TIME_OUT_OF_WINDOW');
  });

  it.each([
    ['a missing --body', ['verify', '--public-key', publicKey, '--client-id', 'C']],
    [
      'no header source',
      ['verify', '--public-key', publicKey, '--client-id', 'C', '--path', '/n', '--body', '-'],
    ],
    [
      'a private key given as the public key',
      ['verify', '--public-key', `${FIXTURES}keys/alipay-v1.private.pem`, ...headerFlags(), '--body', '-'],
    ],
    [
      'a key file that does not exist',
      ['verify', '--public-key', './missing/alipay.pem', ...headerFlags(), '--body', '-'],
    ],
    ['an unknown command', ['frobnicate']],
  ])('exits 2 for %s', async (_name, argv) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr.length).toBeGreaterThan(0);
  });

  it('--help exits 0 and lists the commands', async () => {
    const run = await cli(['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/keys[\s\S]*verify[\s\S]*demo/);
  });
});

describe('authnotify verify names the cause', () => {
  const body = JSON.stringify({
    authorizationNotifyType: 'TOKEN_CANCELED',
    accessToken: '2810010_secret_token_value',
    userLoginId: 'alice@example.com',
    result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
  });
  /** A capture file of a request signed by the fixture Alipay (v1) for `signedPath`, as `change` alters it. */
  async function capture(
    name: string,
    change: { path?: string; body?: string },
    signedPath = '/alipay/notify/authorization',
  ) {
    const signed = await signNotification({
      notification: body,
      clientId: fixture.clientId,
      privateKey: readFileSync(`${FIXTURES}keys/alipay-v1.private.pem`, 'utf8'),
      path: signedPath,
      keyVersion: '1',
    });
    const head = [
      `POST ${change.path ?? signedPath} HTTP/1.1`,
      ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`),
    ];
    const file = join(dir, `${name}.http`);
    writeFileSync(file, `${head.join('\r\n')}\r\n\r\n${change.body ?? signed.body}`);
    return file;
  }

  it.each([
    [
      'a capture that verifies',
      {},
      `${FIXTURES}keys/alipay-v1.public.pem`,
      0,
      /^valid: signature verifies with keyVersion 1 over path \/alipay\/notify\/authorization/,
    ],
    [
      'the wrong public key',
      {},
      `${FIXTURES}keys/alipay-v2.public.pem`,
      1,
      /None of the configured public keys \(keyVersion 1\) made this signature: it was signed with another key\./,
    ],
    [
      'a proxy prefix on the path',
      { path: '/proxy/alipay/notify/authorization' },
      `${FIXTURES}keys/alipay-v1.public.pem`,
      1,
      /Alipay signed the path without the prefix \/proxy \(\/alipay\/notify\/authorization\)\./,
    ],
    [
      'a re-serialized body',
      { body: JSON.stringify(JSON.parse(body), null, 2) },
      `${FIXTURES}keys/alipay-v1.public.pem`,
      1,
      /Alipay signed the body re-serialized as compact JSON\./,
    ],
    [
      'CRLF line endings',
      { body: JSON.stringify(JSON.parse(body), null, 2).replace(/\n/g, '\r\n') },
      `${FIXTURES}keys/alipay-v1.public.pem`,
      1,
      /Alipay signed the body re-serialized as compact JSON|Alipay signed the body with LF line endings/,
    ],
    [
      'an added trailing newline',
      { body: `${body}\n` },
      `${FIXTURES}keys/alipay-v1.public.pem`,
      1,
      /Alipay signed the body without its trailing newline\./,
    ],
  ])('from a raw HTTP capture: %s', async (name, change, key, code, message) => {
    const file = await capture(name.replace(/\W+/g, '-'), change);
    const run = await cli([
      'verify',
      '--public-key',
      key,
      '--client-id',
      fixture.clientId,
      '--request',
      file,
    ]);
    expect(run.code).toBe(code);
    expect(run.stdout).toMatch(message);
    // what it prints never shows the token or the login id
    expect(run.stdout).not.toContain('secret_token_value');
    expect(run.stdout).not.toContain('alice@example.com');
  });

  it('tells a body whose line endings changed apart from a re-serialized one', async () => {
    const pretty = JSON.stringify(JSON.parse(body), null, 2);
    const signed = await signNotification({
      notification: pretty,
      clientId: fixture.clientId,
      privateKey: readFileSync(`${FIXTURES}keys/alipay-v1.private.pem`, 'utf8'),
      keyVersion: '1',
    });
    const file = join(dir, 'crlf.http');
    const head = [
      'POST /alipay/notify/authorization HTTP/1.1',
      ...Object.entries(signed.headers).map(([k, v]) => `${k}: ${v}`),
    ];
    writeFileSync(file, `${head.join('\n')}\n\n${pretty.replace(/\n/g, '\r\n')}`);
    const run = await cli([
      'verify',
      '--public-key',
      publicKey,
      '--client-id',
      fixture.clientId,
      '--request',
      file,
      '--json',
    ]);
    expect(run.code).toBe(1);
    const out = JSON.parse(run.stdout) as { diagnosis: { explanation: string[]; match: { change: string } } };
    expect(out.diagnosis.match.change).toBe('the body with LF line endings');
    expect(out.diagnosis.explanation[1]).toMatch(/Line endings were changed/);
  });
});

describe('authnotify demo', () => {
  it('signs, verifies and shows the typical failures', async () => {
    const run = await cli(['demo']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/as sent\s+→ valid/);
    expect(run.stdout).toMatch(/re-serialized with spaces\s+→ INVALID_SIGNATURE/);
    expect(run.stdout).toMatch(/path rewritten by a proxy\s+→ valid \(canonical path\)/);
  });
});
