import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyRing,
  importPrivateKey,
  type KeyRing,
  type SignatureCrypto,
  signMessage,
  verifyMessage,
  webSignatureCrypto,
} from '../../src/protocol/index.js';
import { nodeSignatureCrypto } from '../../src/protocol/node-crypto.js';
import { fixtureText, signatureFixture } from '../helpers/fixtures.js';

const fixture = signatureFixture();
let ring: KeyRing;

beforeAll(async () => {
  ring = await createKeyRing(
    Object.fromEntries(Object.entries(fixture.publicKeys).map(([v, file]) => [v, fixtureText(file)])),
  );
});

const providers: [string, SignatureCrypto][] = [
  ['webcrypto', webSignatureCrypto],
  ['node', nodeSignatureCrypto],
];

describe.each(providers)('known-answer signatures with the %s provider', (_provider, primitive) => {
  it('covers at least the cases the wire contract names', () => {
    expect(fixture.cases.length).toBeGreaterThanOrEqual(20);
    expect(fixture.cases.filter((c) => c.expect.ok).length).toBeGreaterThanOrEqual(8);
  });

  it.each(fixture.cases)('$name', async (c) => {
    const verdict = await verifyMessage(
      { receivedPath: c.receivedPath, headers: c.headers, body: new TextEncoder().encode(c.body) },
      {
        clientId: fixture.clientId,
        keys: ring,
        canonicalPath: fixture.canonicalPath,
        window: false,
        crypto: primitive,
      },
    );
    if (c.expect.ok) {
      expect(verdict).toMatchObject({
        ok: true,
        matchedPath: c.expect.matchedPath,
        keyVersion: c.expect.keyVersion,
      });
    } else {
      expect(verdict.ok).toBe(false);
      if (!verdict.ok) {
        expect(verdict.code).toBe(c.expect.code);
        expect(verdict.hint.length).toBeGreaterThan(10);
      }
    }
  });

  it.each(fixture.cases.filter((c) => c.sign))('signer reproduces: $name', async (c) => {
    const spec = c.sign as NonNullable<typeof c.sign>;
    const privateKey = await importPrivateKey(fixtureText(fixture.privateKeys[spec.keyVersion] as string));
    const header = await signMessage({
      path: spec.path,
      clientId: fixture.clientId,
      time: spec.time,
      body: c.body,
      privateKey,
      keyVersion: spec.keyVersion,
      crypto: primitive,
    });
    expect(header).toBe(c.headers.Signature);
  });
});

describe('verdict details', () => {
  it('reports both checked paths when neither verifies', async () => {
    const c = fixture.cases.find((x) =>
      x.name.startsWith('rejects a body with one space'),
    ) as (typeof fixture.cases)[0];
    const verdict = await verifyMessage(
      { receivedPath: '/proxy/path', headers: c.headers, body: new TextEncoder().encode(c.body) },
      { clientId: fixture.clientId, keys: ring, canonicalPath: fixture.canonicalPath, window: false },
    );
    expect(verdict.ok).toBe(false);
    if (!verdict.ok)
      expect(verdict.checked.map((x) => x.path)).toEqual([fixture.canonicalPath, '/proxy/path']);
  });

  it('reads headers case-insensitively from a plain object', async () => {
    const c = fixture.cases[0] as (typeof fixture.cases)[0];
    const lower = Object.fromEntries(Object.entries(c.headers).map(([k, v]) => [k.toLowerCase(), v]));
    const verdict = await verifyMessage(
      { receivedPath: c.receivedPath, headers: lower, body: new TextEncoder().encode(c.body) },
      { clientId: fixture.clientId, keys: ring, window: false },
    );
    expect(verdict).toMatchObject({ ok: true, matchedPath: 'received' });
  });

  it('rejects two Signature headers joined by a proxy', async () => {
    const c = fixture.cases[0] as (typeof fixture.cases)[0];
    const headers = new Headers(c.headers);
    headers.append('Signature', c.headers.Signature as string);
    const verdict = await verifyMessage(
      { receivedPath: c.receivedPath, headers, body: new TextEncoder().encode(c.body) },
      { clientId: fixture.clientId, keys: ring, window: false },
    );
    expect(verdict).toMatchObject({ ok: false, code: 'SIGNATURE_MALFORMED' });
  });
});
