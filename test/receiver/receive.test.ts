import { describe, expect, it } from 'vitest';
import {
  createKeyRing,
  importPrivateKey,
  publicKeyFromPrivate,
  verifyMessage,
} from '../../src/protocol/index.js';
import type { Store } from '../../src/store/types.js';
import { toRequest } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, OK, START, signAsFixtureAlipay, testReceiver } from '../helpers/receiver.js';

const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';
const canceled = (token = 'T-1') => ({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken: token,
  reason: '不用了',
  result: OK,
});

async function total(store: Store): Promise<number> {
  const c = await store.countInbox();
  return Object.values(c).reduce((a, b) => a + b, 0);
}

describe('receiving a genuine notification', () => {
  it('acknowledges with the exact documented body after storing it', async () => {
    const t = await testReceiver();
    const response = await t.send(canceled());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=UTF-8');
    expect(await response.text()).toBe(ACK);
    const { items } = await t.store.listInbox({ limit: 10 });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      type: 'TOKEN_CANCELED',
      status: 'PENDING',
      matchedPath: 'canonical',
      keyVersion: '1',
      receivedAt: START,
    });
    expect(items[0]?.headers).toMatchObject({ 'Client-Id': CLIENT_ID });
    expect(items[0]?.headers.Signature).toMatch(/^algorithm=RSA256,keyVersion=1,signature=/);
  });

  it('stores the raw bytes sealed: no token in the row, exact bytes back on decrypt', async () => {
    const t = await testReceiver();
    const body = JSON.stringify(canceled('SECRET-TOKEN-123456'));
    await t.send(body);
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    if (!row) throw new Error('no row');
    expect(Buffer.from(row.rawBody).toString('latin1')).not.toContain('SECRET-TOKEN');
    expect(row.eventKey).not.toContain('SECRET-TOKEN');
    expect(row.eventKey).toMatch(/^TOKEN_CANCELED:[0-9a-f]{64}$/);
    expect(new TextDecoder().decode(await t.receiver.rawBodyOf(row))).toBe(body);
  });

  it('acknowledges a duplicate again and counts it, storing one row', async () => {
    const t = await testReceiver();
    expect((await t.send(canceled())).status).toBe(200);
    t.clock.advance(120_000);
    expect(await (await t.send(canceled())).text()).toBe(ACK);
    const { items } = await t.store.listInbox({ limit: 10 });
    expect(items).toHaveLength(1);
    expect(items[0]?.duplicates).toBe(1);
  });

  it('accepts a request on a rewritten path when the canonical path verifies', async () => {
    const t = await testReceiver();
    const signed = await signAsFixtureAlipay(canceled(), { now: t.clock.now() });
    const response = await t.receiver.handle(
      toRequest('http://merchant.test', { ...signed, path: '/internal/alipay-hook' }),
    );
    expect(response.status).toBe(200);
    expect((await t.store.listInbox({ limit: 1 })).items[0]).toMatchObject({
      matchedPath: 'canonical',
      path: '/internal/alipay-hook',
    });
  });

  it.each([
    [
      'an unknown notification type',
      { authorizationNotifyType: 'TOKEN_REFRESHED', accessToken: 'T', result: OK },
      'enum',
    ],
    ['a number where a string belongs', { ...canceled(), userId: 2088 }, 'type'],
    ['a body that is not JSON', '{"authorizationNotifyType":', 'json'],
  ])('quarantines and acknowledges %s', async (_name, body, rule) => {
    const t = await testReceiver();
    const response = await t.send(body);
    expect(await response.text()).toBe(ACK);
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row?.status).toBe('QUARANTINED');
    expect(row?.violations?.[0]?.rule).toBe(rule);
    expect(await t.receiver.drain()).toBe(0);
  });

  it('signs the acknowledgement when a merchant key is configured', async () => {
    const merchant = fixtureText('keys/alipay-v2.private.pem');
    const t = await testReceiver({ merchantPrivateKey: merchant, merchantKeyVersion: '2' });
    const response = await t.send(canceled());
    const body = new Uint8Array(await response.arrayBuffer());
    const keys = await createKeyRing({ '2': await publicKeyFromPrivate(await importPrivateKey(merchant)) });
    const verdict = await verifyMessage(
      { receivedPath: '/alipay/notify/authorization', headers: response.headers, body },
      { clientId: CLIENT_ID, keys, timeHeader: 'Response-Time', now: t.clock.now() },
    );
    expect(verdict.ok).toBe(true);
  });
});

describe('rejecting what is not a genuine notification, storing nothing', () => {
  type Case = [string, (t: Awaited<ReturnType<typeof testReceiver>>) => Promise<Response>, number, string];
  const url = 'http://merchant.test/alipay/notify/authorization';
  const cases: Case[] = [
    ['a GET', (t) => t.receiver.handle(new Request(url)), 405, 'METHOD_NOT_ALLOWED'],
    [
      'a form-encoded body',
      (t) => t.send(canceled(), { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a declared Content-Length over 64 KiB',
      (t) =>
        t.receiver.handle(
          new Request(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': '70000' },
            body: 'x'.repeat(70_000),
          }),
        ),
      413,
      'BODY_TOO_LARGE',
    ],
    [
      'a streamed body over 64 KiB',
      (t) =>
        t.receiver.handle(
          new Request(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: new Blob(['x'.repeat(70_000)]).stream(),
            duplex: 'half',
          } as RequestInit),
        ),
      413,
      'BODY_TOO_LARGE',
    ],
    [
      'a missing Signature',
      (t) =>
        t.receiver.handle(
          new Request(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'client-id': CLIENT_ID,
              'request-time': String(START),
            },
            body: '{}',
          }),
        ),
      401,
      'SIGNATURE_MISSING',
    ],
    [
      'a missing Request-Time',
      (t) =>
        t.receiver.handle(
          new Request(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'client-id': CLIENT_ID,
              signature: 'algorithm=RSA256,signature=AAAA',
            },
            body: '{}',
          }),
        ),
      400,
      'HEADER_MISSING',
    ],
    [
      'a malformed Signature',
      (t) => t.send(canceled(), { headers: { Signature: 'algorithm=RSA256,signature=abc def' } }),
      400,
      'SIGNATURE_MALFORMED',
    ],
    [
      'another algorithm',
      (t) => t.send(canceled(), { headers: { Signature: 'algorithm=RSA512,signature=AAAA' } }),
      401,
      'ALGORITHM_UNSUPPORTED',
    ],
    ['an unknown keyVersion', (t) => t.send(canceled(), { keyVersion: '9' }), 401, 'KEY_VERSION_UNKNOWN'],
    [
      'another Client-Id',
      (t) => t.send(canceled(), { headers: { 'Client-Id': 'SANDBOX_OTHER' } }),
      401,
      'CLIENT_ID_MISMATCH',
    ],
    [
      'a body changed after signing',
      async (t) => {
        const signed = await signAsFixtureAlipay(canceled(), { now: t.clock.now() });
        return t.receiver.handle(
          toRequest('http://merchant.test', { ...signed, body: signed.body.replace('T-1', 'T-2') }),
        );
      },
      401,
      'INVALID_SIGNATURE',
    ],
    [
      'a Request-Time 26 hours old',
      (t) => t.send(canceled(), { requestTime: String(START - 26 * 3_600_000) }),
      401,
      'REQUEST_TIME_OUT_OF_WINDOW',
    ],
    [
      'a Request-Time that is not a time',
      (t) => t.send(canceled(), { requestTime: 'yesterday' }),
      400,
      'REQUEST_TIME_INVALID',
    ],
  ];

  it.each(cases)('rejects %s', async (_name, act, status, code) => {
    const t = await testReceiver();
    const response = await act(t);
    expect(response.status).toBe(status);
    const body = (await response.json()) as {
      result: { resultCode: string; resultStatus: string; resultMessage: string };
    };
    expect(body.result).toMatchObject({ resultCode: code, resultStatus: 'F' });
    expect(body.result.resultMessage.length).toBeGreaterThan(5);
    expect(await total(t.store)).toBe(0);
  });
});

describe('durability', () => {
  it('answers 503 with resultStatus U when the store cannot write', async () => {
    const t = await testReceiver();
    await t.store.close();
    const response = await t.send(canceled());
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ result: { resultStatus: 'U' } });
  });

  it('does not acknowledge before the insert has committed', async () => {
    const t = await testReceiver();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const original = t.store.insertInbox.bind(t.store);
    t.store.insertInbox = async (row) => {
      await gate;
      return original(row);
    };
    const pending = t.send(canceled());
    const raced = await Promise.race([
      pending.then(() => 'answered'),
      new Promise((r) => setTimeout(() => r('waiting'), 50)),
    ]);
    expect(raced).toBe('waiting');
    release();
    expect((await pending).status).toBe(200);
    expect(await total(t.store)).toBe(1);
  });
});
