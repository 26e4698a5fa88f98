import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  describeKey,
  generateRsaKeyPair,
  importPrivateKey,
  importPublicKey,
  publicKeyFromPrivate,
  signBytes,
  signMessage,
  toBase64,
  toPem,
  verifyBytes,
  verifyMessage,
} from '../../src/protocol/index.js';
import { readKeySource } from '../../src/protocol/node-key-source.js';
import { FIXTURES, fixtureText } from '../helpers/fixtures.js';

const data = new TextEncoder().encode('POST /n\nC.1.{}');

describe('importing keys', () => {
  it.each([
    ['PKCS#8 PEM', 'keys/alipay-v1.private.pem'],
    ['PKCS#1 PEM', 'keys/alipay-v1.private-pkcs1.pem'],
    ['PKCS#8 one-line base64', 'keys/alipay-v1.private.pkcs8.txt'],
    ['PKCS#1 one-line base64 (PHP/Python tooling)', 'keys/alipay-v1.private.pkcs1.txt'],
  ])('signs with a private key given as %s', async (_name, file) => {
    const privateKey = await importPrivateKey(fixtureText(file));
    const publicKey = await importPublicKey(fixtureText('keys/alipay-v1.public.txt'));
    expect(await verifyBytes(data, await signBytes(data, privateKey), publicKey)).toBe(true);
  });

  it.each([
    ['SPKI PEM', 'keys/alipay-v1.public.pem'],
    ['SPKI one-line base64', 'keys/alipay-v1.public.txt'],
    ['PKCS#1 PEM', 'keys/alipay-v1.public-pkcs1.pem'],
  ])('verifies with a public key given as %s', async (_name, file) => {
    const privateKey = await importPrivateKey(fixtureText('keys/alipay-v1.private.pem'));
    const publicKey = await importPublicKey(fixtureText(file));
    expect(await verifyBytes(data, await signBytes(data, privateKey), publicKey)).toBe(true);
  });

  it('accepts a one-line key split across lines by a copy-paste', async () => {
    const text = fixtureText('keys/alipay-v1.public.txt')
      .trim()
      .replace(/(.{60})/g, '$1\n');
    await expect(importPublicKey(text)).resolves.toBeDefined();
  });

  it('derives the public key from a private key', async () => {
    const privateKey = await importPrivateKey(fixtureText('keys/alipay-v1.private.pem'));
    const publicKey = await publicKeyFromPrivate(privateKey);
    expect(await verifyBytes(data, await signBytes(data, privateKey), publicKey)).toBe(true);
  });

  it('describes keys', () => {
    expect(describeKey(fixtureText('keys/alipay-v1.private.pkcs1.txt'))).toMatchObject({
      kind: 'private',
      format: 'pkcs1-private',
      bits: 2048,
    });
    expect(describeKey(fixtureText('keys/alipay-v1.public.txt'))).toMatchObject({
      kind: 'public',
      format: 'spki',
      bits: 2048,
    });
  });

  it('generated key pairs round-trip through every format', async () => {
    const pair = await generateRsaKeyPair();
    for (const text of [
      toPem(pair.pkcs8, 'PRIVATE KEY'),
      toPem(pair.pkcs1, 'RSA PRIVATE KEY'),
      toBase64(pair.pkcs1),
    ]) {
      const signature = await signBytes(data, await importPrivateKey(text));
      expect(await verifyBytes(data, signature, await importPublicKey(toBase64(pair.spki)))).toBe(true);
    }
  });
});

describe('refusing bad keys with a clear message', () => {
  const pub = () => fixtureText('keys/alipay-v1.public.txt').trim();
  it.each([
    [
      'a private key where a public one is expected',
      () => importPublicKey(fixtureText('keys/alipay-v1.private.pem')),
      /expected a public key but this is a private key/,
    ],
    [
      'a public key where a private one is expected',
      () => importPrivateKey(fixtureText('keys/alipay-v1.public.pem')),
      /expected a private key but this is a public key/,
    ],
    ['truncated base64', () => importPublicKey(pub().slice(0, -5)), /not valid base64|could not be read/],
    [
      'base64 truncated at a group boundary',
      () => importPublicKey(pub().slice(0, 200)),
      /truncated|could not be read/,
    ],
    ['an EC key', () => importPublicKey(fixtureText('keys/ec-p256.public.pem')), /an EC key, not an RSA key/],
    ['a file path', () => importPublicKey('./keys/alipay-public.pem'), /looks like a file path, not a key/],
    ['a Windows path', () => importPrivateKey('C:\\keys\\merchant.key'), /looks like a file path, not a key/],
    ['an env: reference', () => importPublicKey('env:ALIPAY_PUBLIC_KEY'), /names an environment variable/],
    [
      'an EC private key',
      () => importPrivateKey(fixtureText('keys/ec-p256.private.pem')),
      /an EC key, not an RSA key/,
    ],
    [
      'a 1024-bit RSA key',
      () => importPublicKey(fixtureText('keys/weak-1024.public.pem')),
      /1024 bits; at least 2048/,
    ],
    [
      'a 1024-bit private key',
      () => importPrivateKey(fixtureText('keys/weak-1024.private.pkcs1.txt')),
      /1024 bits/,
    ],
    ['an empty string', () => importPublicKey('  '), /empty/],
    [
      'an encrypted private key',
      () =>
        importPrivateKey('-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----'),
      /encrypted/,
    ],
    ['incomplete PEM armour', () => importPublicKey('-----BEGIN PUBLIC KEY-----\nMIIB'), /incomplete/],
    [
      'a PEM label that lies',
      () =>
        importPublicKey(fixtureText('keys/alipay-v1.public.pem').replace(/PUBLIC KEY/g, 'RSA PUBLIC KEY')),
      /does not match/,
    ],
    [
      'random bytes',
      () => importPublicKey(toBase64(Uint8Array.from({ length: 64 }, (_, i) => i * 7))),
      /could not be read/,
    ],
  ])('rejects %s', async (_name, load, message) => {
    await expect(load()).rejects.toMatchObject({
      code: 'KEY_INVALID',
      message: expect.stringMatching(message),
    });
  });
});

describe('key ring', () => {
  it('defaults to the newest version', async () => {
    const ring = await createKeyRing({
      '2': fixtureText('keys/alipay-v2.public.pem'),
      '10': fixtureText('keys/alipay-v1.public.pem'),
    });
    expect(ring.versions).toEqual(['2', '10']);
    expect(ring.defaultVersion).toBe('10');
    expect(ring.get(undefined)).toBe(ring.get('10'));
    expect(ring.get('3')).toBeUndefined();
  });

  it.each([
    ['an empty ring', {}],
    ['a version with spaces', { 'v 1': fixtureText('keys/alipay-v1.public.pem') }],
  ])('rejects %s', async (_name, keys) => {
    await expect(createKeyRing(keys)).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});

describe('key sources', () => {
  it('reads env:NAME, a file path, or the text itself', () => {
    const text = fixtureText('keys/alipay-v1.public.txt');
    expect(readKeySource('env:K', { K: text })).toBe(text);
    expect(readKeySource(`${FIXTURES}keys/alipay-v1.public.txt`)).toBe(text);
    expect(readKeySource(text.trim())).toBe(text.trim());
  });

  it.each([
    ['an unset variable', 'env:NOPE', /NOPE is not set/],
    ['a missing file', './nope/key.pem', /does not exist/],
  ])('names the problem for %s', (_name, spec, message) => {
    expect(() => readKeySource(spec, {})).toThrow(message);
  });
});

describe('signing with a key given as text', () => {
  const input = { path: '/alipay/notify/authorization', clientId: 'C', time: '1700000000000', body: '{}' };
  it('takes the private key as PEM or one-line base64, as the CLI does, and the signatures verify', async () => {
    const ring = await createKeyRing({ '1': fixtureText('keys/alipay-v1.public.pem') });
    for (const privateKey of [
      fixtureText('keys/alipay-v1.private.pem'),
      fixtureText('keys/alipay-v1.private.pkcs1.txt'),
    ]) {
      const header = await signMessage({ ...input, privateKey, keyVersion: '1' });
      const verdict = await verifyMessage(
        {
          receivedPath: input.path,
          headers: { 'Client-Id': 'C', 'Request-Time': input.time, Signature: header },
          body: new TextEncoder().encode('{}'),
        },
        { clientId: 'C', keys: ring, window: false },
      );
      expect(verdict.ok).toBe(true);
    }
  });

  it.each([
    ['a public key', () => fixtureText('keys/alipay-v1.public.pem'), /expected a private key/],
    ['a file path', () => './merchant-private.pem', /looks like a file path/],
    ['a number', () => 42 as unknown as string, /privateKey is a number, not a key/],
    ['a plain object', () => ({}) as unknown as string, /privateKey is an object \(Object\), not a key/],
  ])('refuses %s with KEY_INVALID instead of a WebCrypto TypeError', async (_name, key, message) => {
    await expect(signMessage({ ...input, privateKey: key() })).rejects.toMatchObject({
      code: 'KEY_INVALID',
      message: expect.stringMatching(message),
    });
  });
});
