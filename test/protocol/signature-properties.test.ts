import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  AuthNotifyError,
  createKeyRing,
  formatSignatureHeader,
  importPrivateKey,
  type KeyRing,
  parseSignatureHeader,
  signMessage,
  verifyMessage,
} from '../../src/protocol/index.js';
import type { CryptoKey } from '../../src/protocol/web-crypto.js';
import { fixtureText } from '../helpers/fixtures.js';

let ring: KeyRing;
let privateKey: CryptoKey;

beforeAll(async () => {
  ring = await createKeyRing({ '1': fixtureText('keys/alipay-v1.public.pem') });
  privateKey = await importPrivateKey(fixtureText('keys/alipay-v1.private.pem'));
});

const path = fc
  .array(fc.stringMatching(/^[A-Za-z0-9._~%-]{1,12}$/), { minLength: 1, maxLength: 4 })
  .chain((segments) =>
    fc
      .option(fc.stringMatching(/^[A-Za-z0-9=&%._-]{1,20}$/), { nil: undefined })
      .map((query) => `/${segments.join('/')}${query ? `?${query}` : ''}`),
  );

describe('signature properties', () => {
  it('sign then verify round-trips for arbitrary UTF-8 bodies and paths', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 300 }), path, async (body, p) => {
        const signature = await signMessage({
          path: p,
          clientId: 'C1',
          time: '1700000000000',
          body,
          privateKey,
          keyVersion: '1',
        });
        const verdict = await verifyMessage(
          {
            receivedPath: p,
            headers: { 'Client-Id': 'C1', 'Request-Time': '1700000000000', Signature: signature },
            body: new TextEncoder().encode(body),
          },
          { clientId: 'C1', keys: ring, window: false },
        );
        expect(verdict.ok).toBe(true);
      }),
      { numRuns: 60 },
    );
  });

  it('any changed body byte makes verification fail', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        async (body, at, xor) => {
          const signature = await signMessage({ path: '/n', clientId: 'C1', time: '1', body, privateKey });
          const tampered = body.slice();
          const i = at % tampered.length;
          tampered[i] = (tampered[i] as number) ^ xor;
          const verdict = await verifyMessage(
            {
              receivedPath: '/n',
              headers: { 'Client-Id': 'C1', 'Request-Time': '1', Signature: signature },
              body: tampered,
            },
            { clientId: 'C1', keys: ring, window: false },
          );
          expect(verdict).toMatchObject({ ok: false, code: 'INVALID_SIGNATURE' });
        },
      ),
      { numRuns: 40 },
    );
  });

  it('Signature header format then parse round-trips', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.option(fc.stringMatching(/^[0-9A-Za-z._-]{1,32}$/), { nil: undefined }),
        (signature, keyVersion) => {
          const parsed = parseSignatureHeader(formatSignatureHeader({ signature, keyVersion }));
          expect(parsed.signature).toEqual(signature);
          expect(parsed.keyVersion).toBe(keyVersion);
          expect(parsed.algorithm).toBe('RSA256');
        },
      ),
    );
  });

  it('the header parser throws nothing but AuthNotifyError on arbitrary input', () => {
    const pieces = fc.constantFrom(
      'algorithm=RSA256',
      'keyVersion=1',
      'signature=',
      '%2B',
      '%3D',
      '%',
      '+',
      ' ',
      ',',
      '=',
      'abc',
      '%ZZ',
      '%C3',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.array(pieces, { maxLength: 20 }).map((p) => p.join('')),
        ),
        (value) => {
          try {
            parseSignatureHeader(value);
          } catch (error) {
            expect(error).toBeInstanceOf(AuthNotifyError);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('verifyMessage returns a verdict, never throws, on arbitrary headers', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(
          fc.constantFrom('Client-Id', 'Request-Time', 'Signature', 'X'),
          fc.string({ maxLength: 80 }),
        ),
        fc.uint8Array({ maxLength: 64 }),
        async (headers, body) => {
          const verdict = await verifyMessage(
            { receivedPath: '/n', headers, body },
            { clientId: 'C1', keys: ring, now: 0 },
          );
          expect(typeof verdict.ok).toBe('boolean');
        },
      ),
      { numRuns: 300 },
    );
  });
});
