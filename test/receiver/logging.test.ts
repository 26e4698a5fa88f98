import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Rejection } from '../../src/receiver/receive.js';
import { createReceiver } from '../../src/receiver/receiver.js';
import { createMemoryStore } from '../../src/testing/memory-store.js';
import { fixtureText } from '../helpers/fixtures.js';
import {
  CLIENT_ID,
  OK,
  recordingLogger,
  SECRET,
  signAsFixtureAlipay,
  testReceiver,
} from '../helpers/receiver.js';

const canceled = { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T-log-secret', result: OK };

afterEach(() => {
  vi.restoreAllMocks();
});

async function plainReceiver(
  extra: Parameters<typeof createReceiver>[0] extends infer O ? Partial<O> : never,
) {
  return createReceiver({
    clientId: CLIENT_ID,
    alipayPublicKeys: { '1': fixtureText('keys/alipay-v1.public.pem') },
    store: createMemoryStore(),
    secretKey: SECRET,
    ...extra,
  });
}

async function tampered(): Promise<Request> {
  const signed = await signAsFixtureAlipay(canceled);
  return new Request('http://merchant.test/alipay/notify/authorization', {
    method: 'POST',
    headers: signed.headers,
    body: signed.body.replace('T-log-secret', 'T-log-other'),
  });
}

describe('what an embedded receiver reports', () => {
  it('writes a rejected notification to console.warn by default, with its code and without the token or signature', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const receiver = await plainReceiver({});
    const request = await tampered();
    const signature = request.headers.get('signature') as string;
    const response = await receiver.handle(request);
    expect(response.status).toBe(401);
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^authnotify warn: notification rejected: .*"code":"INVALID_SIGNATURE"/);
    expect(lines[0]).not.toContain('T-log');
    expect(lines[0]).not.toContain(signature.slice(-40));
  });

  it('is silent with logger: false, and writes to the logger it is given', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const quiet = await plainReceiver({ logger: false });
    expect((await quiet.handle(await tampered())).status).toBe(401);
    expect(warn).not.toHaveBeenCalled();
    const seen: string[] = [];
    const own = { debug() {}, info() {}, warn: (_f: object, m: string) => void seen.push(m), error() {} };
    const mine = await plainReceiver({ logger: own });
    await mine.handle(await tampered());
    expect(seen).toEqual([expect.stringContaining('notification rejected')]);
    expect(warn).not.toHaveBeenCalled();
  });

  it.each([
    { name: 'a GET', status: 405, code: 'METHOD_NOT_ALLOWED', resultStatus: 'F' },
    { name: 'a form post', status: 415, code: 'UNSUPPORTED_MEDIA_TYPE', resultStatus: 'F' },
    { name: 'a tampered body', status: 401, code: 'INVALID_SIGNATURE', resultStatus: 'F' },
    { name: 'a store that is down', status: 503, code: 'PROCESS_FAIL', resultStatus: 'U' },
  ])('tells onRejected about $name ($status $code)', async ({ name, status, code, resultStatus }) => {
    const rejections: Rejection[] = [];
    const store = createMemoryStore();
    const t = await testReceiver({ onRejected: (r) => rejections.push(r) }, store);
    let response: Response;
    if (name === 'a GET') {
      response = await t.receiver.handle(new Request('http://merchant.test/alipay/notify/authorization'));
    } else if (name === 'a form post') {
      response = await t.send(canceled, { headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    } else if (name === 'a tampered body') {
      response = await t.receiver.handle(await tampered());
    } else {
      await store.close();
      response = await t.send(canceled);
    }
    expect(response.status).toBe(status);
    expect(rejections).toEqual([expect.objectContaining({ status, code, resultStatus })]);
    expect(rejections[0]?.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers as before when the onRejected hook throws, and logs that it did', async () => {
    const { seen, logger } = recordingLogger();
    const t = await testReceiver({
      logger,
      onRejected: () => {
        throw new Error('hook broke');
      },
    });
    expect((await t.receiver.handle(await tampered())).status).toBe(401);
    expect(seen.error).toEqual(['the onRejected hook threw']);
  });
});
