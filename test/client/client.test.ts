import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AlipayClient, type AlipayClientOptions, createAlipayClient } from '../../src/client/client.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID } from '../helpers/receiver.js';
import { sandboxFormToken, startTestSandbox } from '../helpers/sandbox.js';

let sandbox: RunningSandbox;
let client: AlipayClient;
const sleeps: number[] = [];

async function makeClient(extra: Partial<AlipayClientOptions> = {}) {
  return createAlipayClient({
    clientId: CLIENT_ID,
    merchantPrivateKey: fixtureText('keys/alipay-v2.private.pem'),
    alipayPublicKeys: sandbox.alipayPublicKey,
    endpoint: sandbox.url,
    keyVersion: '1',
    sleep: async (ms) => void sleeps.push(ms),
    ...extra,
  });
}

beforeEach(async () => {
  sleeps.length = 0;
  sandbox = await startTestSandbox();
  client = await makeClient();
});
afterEach(async () => {
  await client.close();
  await sandbox.close();
});

const consult = (c: AlipayClient = client) =>
  c.consult({
    customerBelongsTo: 'ALIPAY_CN',
    authRedirectUrl: 'https://merchant.example/return',
    scopes: ['AGREEMENT_PAY'],
    authState: `st-${Math.random()}`,
    terminalType: 'WEB',
  });

async function codeFor(normalUrl: string): Promise<string> {
  const response = await fetch(normalUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `decision=agree&csrf=${await sandboxFormToken(sandbox.url)}`,
    redirect: 'manual',
  });
  return new URL(response.headers.get('location') as string).searchParams.get('authCode') as string;
}

const setFaults = (f: Record<string, number>) =>
  fetch(`${sandbox.url}/sandbox/v1/faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(f),
  });
const apiLog = async () =>
  (
    (await (await fetch(`${sandbox.url}/sandbox/v1/requests`)).json()) as {
      items: { api: string; resultStatus: string }[];
    }
  ).items;

describe('Alipay client against the sandbox', () => {
  it('runs consult → applyToken → query → refresh → revoke, verifying every answer', async () => {
    const c = await consult();
    expect(c.result.resultStatus).toBe('S');
    const token = await client.applyToken({
      grantType: 'AUTHORIZATION_CODE',
      customerBelongsTo: 'ALIPAY_CN',
      authCode: await codeFor(c.normalUrl as string),
    });
    expect(token.accessToken).toMatch(/^281001/);
    expect(Date.parse(token.accessTokenExpiryTime as string)).toBeGreaterThan(Date.now());
    expect((await client.query({ accessToken: token.accessToken })).accessTokenStatus).toBe('ACTIVE');
    const refreshed = await client.applyToken({
      grantType: 'REFRESH_TOKEN',
      customerBelongsTo: 'ALIPAY_CN',
      refreshToken: token.refreshToken as string,
    });
    expect(refreshed.accessToken).not.toBe(token.accessToken);
    expect((await client.revoke({ accessToken: refreshed.accessToken })).result.resultStatus).toBe('S');
  });

  it('raises F as a typed error carrying resultCode', async () => {
    await expect(
      client.applyToken({
        grantType: 'AUTHORIZATION_CODE',
        customerBelongsTo: 'ALIPAY_CN',
        authCode: 'nope',
      }),
    ).rejects.toMatchObject({
      code: 'ALIPAY_FAILED',
      resultCode: 'INVALID_CODE',
    });
  });

  it('retries U with backoff for a call that is safe to repeat, then succeeds', async () => {
    await setFaults({ apiUnknown: 2 });
    expect((await consult()).result.resultStatus).toBe('S');
    expect(sleeps).toEqual([200, 400]);
    expect((await apiLog()).filter((r) => r.api === 'consult').map((r) => r.resultStatus)).toEqual([
      'S',
      'U',
      'U',
    ]);
  });

  it('gives up after maxAttempts of U with ALIPAY_UNKNOWN', async () => {
    await setFaults({ apiUnknown: 5 });
    await expect(consult()).rejects.toMatchObject({
      code: 'ALIPAY_UNKNOWN',
      resultCode: 'UNKNOWN_EXCEPTION',
    });
    expect((await apiLog()).length).toBe(3);
  });

  it('never resends applyToken by itself (an authCode is single-use)', async () => {
    const c = await consult();
    const code = await codeFor(c.normalUrl as string);
    await setFaults({ apiUnknown: 1 });
    await expect(
      client.applyToken({ grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'ALIPAY_CN', authCode: code }),
    ).rejects.toMatchObject({ code: 'ALIPAY_UNKNOWN' });
    expect((await apiLog()).filter((r) => r.api === 'applyToken')).toHaveLength(1);
  });

  it('rejects a success whose signature does not verify (fail-closed)', async () => {
    await setFaults({ badResponseSignatures: 1 });
    await expect(consult()).rejects.toMatchObject({ code: 'ALIPAY_RESPONSE_INVALID' });
  });

  it('rejects a success signed by a key it does not trust', async () => {
    const other = await makeClient({ alipayPublicKeys: fixtureText('keys/alipay-v1.public.pem') });
    await expect(consult(other)).rejects.toMatchObject({
      code: 'ALIPAY_RESPONSE_INVALID',
      message: expect.stringMatching(/INVALID_SIGNATURE/),
    });
    await other.close();
  });

  it('retries network errors for repeatable calls and reports ALIPAY_UNKNOWN', async () => {
    const offline = await makeClient({ endpoint: 'http://127.0.0.1:9', timeoutMs: 1000 });
    await expect(offline.query({ accessToken: 'x' })).rejects.toMatchObject({ code: 'ALIPAY_UNKNOWN' });
    expect(sleeps).toEqual([200, 400]);
    await offline.close();
  });

  it('refuses an endpoint that is not a URL', async () => {
    await expect(makeClient({ endpoint: 'open-sea-global' })).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
    });
  });
});
