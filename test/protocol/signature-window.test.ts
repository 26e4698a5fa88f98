import { beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyRing,
  importPrivateKey,
  type KeyRing,
  signMessage,
  verifyMessage,
} from '../../src/protocol/index.js';
import type { CryptoKey } from '../../src/protocol/web-crypto.js';
import { fixtureText } from '../helpers/fixtures.js';

const NOW = Date.parse('2026-11-23T12:00:00Z');
const HOUR = 3_600_000;
let ring: KeyRing;
let privateKey: CryptoKey;

beforeAll(async () => {
  ring = await createKeyRing({ '1': fixtureText('keys/alipay-v1.public.pem') });
  privateKey = await importPrivateKey(fixtureText('keys/alipay-v1.private.pem'));
});

async function verifyAt(requestTime: string, window?: { pastMs: number; futureMs: number } | false) {
  const body = '{"x":"y"}';
  const signature = await signMessage({
    path: '/n',
    clientId: 'C',
    time: requestTime,
    body,
    privateKey,
    keyVersion: '1',
  });
  return verifyMessage(
    {
      receivedPath: '/n',
      headers: { 'client-id': 'C', 'request-time': requestTime, signature },
      body: new TextEncoder().encode(body),
    },
    { clientId: 'C', keys: ring, now: NOW, ...(window === undefined ? {} : { window }) },
  );
}

describe('Request-Time window in verifyMessage', () => {
  it.each([
    ['accepts a notification sent now', String(NOW), true],
    [
      'accepts the last retry, 24 h 22 min after the first send',
      String(NOW - (24 * HOUR + 22 * 60_000)),
      true,
    ],
    ['rejects a notification 25 h and 1 s old', String(NOW - 25 * HOUR - 1000), 'REQUEST_TIME_OUT_OF_WINDOW'],
    ['accepts 4 minutes of clock skew into the future', String(NOW + 4 * 60_000), true],
    ['rejects 6 minutes into the future', String(NOW + 6 * 60_000), 'REQUEST_TIME_OUT_OF_WINDOW'],
    ['accepts epoch seconds', String(Math.floor(NOW / 1000)), true],
    ['accepts ISO-8601 with an offset', '2026-11-23T20:00:00+08:00', true],
    ['rejects a Request-Time that is not a time', 'yesterday', 'REQUEST_TIME_INVALID'],
  ])('%s', async (_name, time, expected) => {
    const verdict = await verifyAt(time);
    if (expected === true) expect(verdict.ok).toBe(true);
    else expect(verdict).toMatchObject({ ok: false, code: expected });
  });

  it('honours a configured window', async () => {
    expect((await verifyAt(String(NOW - 2 * HOUR), { pastMs: HOUR, futureMs: 0 })).ok).toBe(false);
  });

  it('skips the window only when explicitly turned off', async () => {
    expect((await verifyAt(String(NOW - 1000 * HOUR), false)).ok).toBe(true);
  });

  it('refuses to check the window without a clock reading', async () => {
    const body = '{}';
    const signature = await signMessage({ path: '/n', clientId: 'C', time: '1', body, privateKey });
    await expect(
      verifyMessage(
        {
          receivedPath: '/n',
          headers: { 'Client-Id': 'C', 'Request-Time': '1', Signature: signature },
          body: new TextEncoder().encode(body),
        },
        { clientId: 'C', keys: ring },
      ),
    ).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
