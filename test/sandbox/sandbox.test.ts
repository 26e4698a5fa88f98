import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/adapters/node-http.js';
import { newAuthorization } from '../../src/authorization/record.js';
import { ManualClock } from '../../src/protocol/clock.js';
import {
  createKeyRing,
  formatRequestTime,
  importPrivateKey,
  signMessage,
  verifyMessage,
} from '../../src/protocol/index.js';
import type { CryptoKey } from '../../src/protocol/web-crypto.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, START, type TestReceiver, testReceiver } from '../helpers/receiver.js';
import { sandboxFormToken, startTestSandbox } from '../helpers/sandbox.js';

/** What the tests read from API answers (a cast of parsed JSON; assertions check the values). */
interface ApiJson {
  result: { resultCode: string; resultStatus: string; resultMessage: string };
  normalUrl: string;
  accessToken: string;
  refreshToken: string;
  userLoginId: string;
  accessTokenStatus: string;
  scopes: string[];
}

let sandbox: RunningSandbox;
let merchant: TestReceiver;
let merchantServer: Server;
let notifyUrl: string;
let clock: ManualClock;
let merchantKey: CryptoKey;

beforeEach(async () => {
  clock = new ManualClock(START);
  merchantKey = await importPrivateKey(fixtureText('keys/alipay-v2.private.pem'));
  sandbox = await startTestSandbox({ timeScale: 1, clock });
  // The merchant trusts the sandbox's key, as it would Alipay's.
  merchant = await testReceiver({ alipayPublicKeys: { '1': sandbox.alipayPublicKey }, clock });
  merchantServer = createServer(toNodeHandler(merchant.receiver));
  await new Promise<void>((r) => merchantServer.listen(0, '127.0.0.1', () => r()));
  notifyUrl = `http://127.0.0.1:${(merchantServer.address() as AddressInfo).port}/alipay/notify/authorization`;
});

afterEach(async () => {
  await sandbox.close();
  await new Promise((r) => merchantServer.close(r));
});

/** Calls the sandbox API as a merchant would: signed request, verified response. */
async function api(
  op: string,
  body: Record<string, unknown>,
  options: { sign?: boolean; clientId?: string; base?: string } = {},
) {
  const path = `${options.base ?? '/ams/api/v1/authorizations'}/${op}`;
  const text = JSON.stringify(body);
  const time = formatRequestTime(clock.now());
  const clientId = options.clientId ?? CLIENT_ID;
  const signature =
    options.sign === false
      ? 'algorithm=RSA256,keyVersion=1,signature=AAAA'
      : await signMessage({ path, clientId, time, body: text, privateKey: merchantKey, keyVersion: '1' });
  const response = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json; charset=UTF-8',
      'Client-Id': clientId,
      'Request-Time': time,
      Signature: signature,
    },
    body: text,
  });
  const raw = new Uint8Array(await response.arrayBuffer());
  const verdict = await verifyMessage(
    { receivedPath: path, headers: response.headers, body: raw },
    {
      clientId: CLIENT_ID,
      keys: await createKeyRing(sandbox.alipayPublicKey),
      timeHeader: 'Response-Time',
      now: clock.now(),
    },
  );
  return {
    status: response.status,
    json: JSON.parse(new TextDecoder().decode(raw)) as ApiJson,
    signed: verdict.ok,
  };
}

const consultBody = (extra: Record<string, unknown> = {}) => ({
  customerBelongsTo: 'ALIPAY_CN',
  authRedirectUrl: 'https://merchant.example/alipay/return?from=test',
  scopes: ['AGREEMENT_PAY'],
  authState: `st-${Math.random().toString(36).slice(2)}`,
  terminalType: 'WEB',
  authNotifyUrl: notifyUrl,
  ...extra,
});

async function agree(normalUrl: string, decision = 'agree', login = 'alice@example.com') {
  const page = await fetch(normalUrl);
  expect(page.status).toBe(200);
  const html = await page.text();
  expect(html).toContain('Agree');
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  const response = await fetch(normalUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ decision, userLoginId: login, csrf }),
    redirect: 'manual',
  });
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location') as string);
}

async function deliverAll() {
  while ((await sandbox.sender.runOnce()) > 0);
}

async function recordConsult(authState: string) {
  await merchant.store.saveConsult(
    {
      authState,
      authorizationId: `au-${authState}`,
      merchantReference: null,
      createdAt: clock.now(),
      expiresAt: null,
    },
    newAuthorization({ id: `au-${authState}`, status: 'PENDING', authState, createdAt: clock.now() }),
  );
}

describe('sandbox: the authorization flow against a real receiver', () => {
  it('consult → wallet Agree → redirect with authCode → AUTHCODE_CREATED delivered → applyToken once → query → cancel in wallet → TOKEN_CANCELED', async () => {
    const body = consultBody();
    await recordConsult(body.authState as string);
    const consult = await api('consult', body);
    expect(consult).toMatchObject({ status: 200, signed: true, json: { result: { resultStatus: 'S' } } });
    expect(consult.json.normalUrl).toMatch(/\/wallet\/authorize\//);
    const back = await agree(consult.json.normalUrl);
    expect(back.origin + back.pathname).toBe('https://merchant.example/alipay/return');
    expect(back.searchParams.get('from')).toBe('test');
    expect(back.searchParams.get('authState')).toBe(body.authState);
    const authCode = back.searchParams.get('authCode') as string;
    expect(authCode).toBeTruthy();

    await deliverAll();
    await merchant.receiver.drain();
    const [notified] = (await merchant.store.listInbox({ limit: 5 })).items;
    expect(notified).toMatchObject({ type: 'AUTHCODE_CREATED', status: 'PROCESSED', outcome: 'APPLIED' });
    expect((await merchant.store.getAuthorization(`au-${body.authState}`))?.status).toBe('CODE_RECEIVED');

    const token = await api('applyToken', {
      grantType: 'AUTHORIZATION_CODE',
      customerBelongsTo: 'ALIPAY_CN',
      authCode,
    });
    expect(token).toMatchObject({
      signed: true,
      json: { result: { resultStatus: 'S' }, userLoginId: 'alice@example.com' },
    });
    const again = await api('applyToken', {
      grantType: 'AUTHORIZATION_CODE',
      customerBelongsTo: 'ALIPAY_CN',
      authCode,
    });
    expect(again.json.result).toMatchObject({ resultStatus: 'F', resultCode: 'INVALID_CODE' });
    const log = (await (await fetch(`${sandbox.url}/sandbox/v1/requests`)).json()) as {
      items: { api: string; resultStatus: string }[];
    };
    expect(log.items.filter((r) => r.api === 'applyToken' && r.resultStatus === 'S')).toHaveLength(1);

    expect((await api('query', { accessToken: token.json.accessToken })).json).toMatchObject({
      accessTokenStatus: 'ACTIVE',
      scopes: ['AGREEMENT_PAY'],
    });

    const account = await fetch(`${sandbox.url}/wallet/account?user=alice%40example.com`);
    expect(await account.text()).toContain('Cancel authorization');
    const cancel = await fetch(`${sandbox.url}/wallet/account/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        accessToken: token.json.accessToken,
        user: 'alice@example.com',
        reason: 'no longer needed',
        csrf: await sandboxFormToken(sandbox.url),
      }),
      redirect: 'manual',
    });
    expect(cancel.status).toBe(303);
    await deliverAll();
    const canceled = (await merchant.store.listInbox({ type: 'TOKEN_CANCELED', limit: 5 })).items;
    expect(canceled).toHaveLength(1);
    expect((await api('query', { accessToken: token.json.accessToken })).json.accessTokenStatus).toBe(
      'CANCELED',
    );
  });

  it('sends TOKEN_CREATED at Agree for scopes without Auto Debit, and applyToken returns that token', async () => {
    const body = consultBody({ scopes: ['BASE_USER_INFO'] });
    await recordConsult(body.authState as string);
    const consult = await api('consult', body);
    const back = await agree(consult.json.normalUrl);
    await deliverAll();
    await merchant.receiver.drain();
    expect((await merchant.store.getAuthorization(`au-${body.authState}`))?.status).toBe('ACTIVE');
    const token = await api('applyToken', {
      grantType: 'AUTHORIZATION_CODE',
      customerBelongsTo: 'ALIPAY_CN',
      authCode: back.searchParams.get('authCode'),
    });
    const hash = await merchant.receiver.secrets.tokenHash(token.json.accessToken);
    expect((await merchant.store.getAuthorization(`au-${body.authState}`))?.tokenHash).toBe(hash);
  });

  it('redirects with an error on Decline and sends nothing', async () => {
    const consult = await api('consult', consultBody());
    const back = await agree(consult.json.normalUrl, 'decline');
    expect(back.searchParams.get('error')).toBe('USER_DECLINED');
    expect(back.searchParams.get('authCode')).toBeNull();
    expect(await sandbox.sender.runOnce()).toBe(0);
    expect((await fetch(consult.json.normalUrl)).status).toBe(409);
  });

  it('refreshes a token and revokes it (twice is fine)', async () => {
    const consult = await api('consult', consultBody());
    const back = await agree(consult.json.normalUrl);
    const first = await api('applyToken', {
      grantType: 'AUTHORIZATION_CODE',
      customerBelongsTo: 'ALIPAY_CN',
      authCode: back.searchParams.get('authCode'),
    });
    const refreshed = await api('applyToken', {
      grantType: 'REFRESH_TOKEN',
      customerBelongsTo: 'ALIPAY_CN',
      refreshToken: first.json.refreshToken,
    });
    expect(refreshed.json.result.resultStatus).toBe('S');
    expect(refreshed.json.accessToken).not.toBe(first.json.accessToken);
    expect((await api('query', { accessToken: first.json.accessToken })).json.accessTokenStatus).toBe(
      'REFRESHED',
    );
    const reuse = await api('applyToken', {
      grantType: 'REFRESH_TOKEN',
      customerBelongsTo: 'ALIPAY_CN',
      refreshToken: first.json.refreshToken,
    });
    expect(reuse.json.result.resultCode).toBe('INVALID_REFRESH_TOKEN');
    expect((await api('revoke', { accessToken: refreshed.json.accessToken })).json.result.resultStatus).toBe(
      'S',
    );
    expect((await api('revoke', { accessToken: refreshed.json.accessToken })).json.result.resultStatus).toBe(
      'S',
    );
    expect((await api('query', { accessToken: refreshed.json.accessToken })).json.accessTokenStatus).toBe(
      'REVOKED',
    );
  });

  it('sends TOKEN_CANCELED on revoke when configured to', async () => {
    const other = await startTestSandbox({ revokeNotifies: true, notifyUrl, clock });
    try {
      const previous = sandbox;
      sandbox = other;
      const consult = await api('consult', consultBody({ authNotifyUrl: undefined }));
      const back = await agree(consult.json.normalUrl);
      const token = await api('applyToken', {
        grantType: 'AUTHORIZATION_CODE',
        customerBelongsTo: 'ALIPAY_CN',
        authCode: back.searchParams.get('authCode'),
      });
      await api('revoke', { accessToken: token.json.accessToken });
      await api('revoke', { accessToken: token.json.accessToken });
      sandbox = previous;
      const types = [];
      for (const o of await other.sender.list({ limit: 10 })) types.push(o.type);
      expect(types.sort()).toEqual(['AUTHCODE_CREATED', 'TOKEN_CANCELED']);
    } finally {
      await other.close();
    }
  });

  it('serves the /ams/sandbox/ aliases', async () => {
    expect(
      (await api('consult', consultBody(), { base: '/ams/sandbox/api/v1/authorizations' })).json.result
        .resultStatus,
    ).toBe('S');
  });
});

describe('sandbox: API errors with documented result codes', () => {
  it.each([
    ['an unsigned request', 'consult', {}, { sign: false }, 'INVALID_SIGNATURE'],
    ['another client id', 'consult', {}, { clientId: 'SANDBOX_OTHER' }, 'INVALID_CLIENT'],
    ['a missing authRedirectUrl', 'consult', { authRedirectUrl: undefined }, {}, 'PARAM_ILLEGAL'],
    [
      'five scopes',
      'consult',
      { scopes: ['AGREEMENT_PAY', 'BASE_USER_INFO', 'USER_INFO', 'USER_LOGIN_ID', 'HASH_LOGIN_ID'] },
      {},
      'PARAM_ILLEGAL',
    ],
    ['an unknown scope', 'consult', { scopes: ['EVERYTHING'] }, {}, 'PARAM_ILLEGAL'],
    ['APP without osType', 'consult', { terminalType: 'APP' }, {}, 'PARAM_ILLEGAL'],
    [
      'an unknown authCode',
      'applyToken',
      { grantType: 'AUTHORIZATION_CODE', customerBelongsTo: 'ALIPAY_CN', authCode: 'nope' },
      {},
      'INVALID_CODE',
    ],
    [
      'an unknown grant type',
      'applyToken',
      { grantType: 'PASSWORD', customerBelongsTo: 'ALIPAY_CN' },
      {},
      'PARAM_ILLEGAL',
    ],
    ['an unknown access token', 'revoke', { accessToken: 'nope' }, {}, 'INVALID_ACCESS_TOKEN'],
    ['an unknown API', 'pay', {}, {}, 'PARAM_ILLEGAL'],
  ])('answers %s (%s) with its result code', async (_name, op, patch, options, code) => {
    const body = op === 'consult' ? { ...consultBody(), ...patch } : patch;
    const response = await api(op, body, options as { sign?: boolean; clientId?: string });
    expect(response.status).toBe(200);
    expect(response.signed).toBe(true);
    expect(response.json.result).toMatchObject({ resultStatus: 'F', resultCode: code });
    expect(response.json.result.resultMessage.length).toBeGreaterThan(5);
  });
});

describe('sandbox: faults toward the merchant', () => {
  async function send(fields: Record<string, unknown> = {}) {
    const response = await fetch(`${sandbox.url}/sandbox/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'TOKEN_CANCELED', to: notifyUrl, fields }),
    });
    expect(response.status).toBe(202);
    return ((await response.json()) as { deliveryIds: string[] }).deliveryIds;
  }
  const setFaults = (f: Record<string, number>) =>
    fetch(`${sandbox.url}/sandbox/v1/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(f),
    });
  const detail = async (id: string) =>
    (await (await fetch(`${sandbox.url}/sandbox/v1/deliveries/${id}`)).json()) as {
      status: string;
      attempts: { verdict: string; httpStatus: number | null }[];
    };

  it('drops an ack: Alipay retries after 2 minutes and the merchant counts a duplicate', async () => {
    await setFaults({ dropAcks: 1 });
    const [id] = await send();
    await deliverAll();
    expect((await detail(id as string)).attempts.map((a) => a.verdict)).toEqual(['ACK_DROPPED_BY_FAULT']);
    clock.advance(2 * 60_000);
    await deliverAll();
    const d = await detail(id as string);
    expect(d.status).toBe('ACKNOWLEDGED');
    const [row] = (await merchant.store.listInbox({ limit: 5 })).items;
    expect(row?.duplicates).toBe(1);
  });

  it.each([
    ['a corrupted signature', { corruptSignatures: 1 }, 401],
    ['a Request-Time 26 hours old', { oldRequestTimes: 1 }, 401],
  ])('sends %s, which the merchant rejects, then delivers on retry', async (_name, fault, status) => {
    await setFaults(fault);
    const [id] = await send();
    await deliverAll();
    clock.advance(2 * 60_000);
    await deliverAll();
    const d = await detail(id as string);
    expect(d.attempts.map((a) => a.httpStatus)).toEqual([status, 200]);
    expect(d.status).toBe('ACKNOWLEDGED');
  });

  it('holds a notification back so the next one overtakes it (reorder)', async () => {
    await setFaults({ reorder: 1 });
    const [first] = await send({ accessToken: 'T-first' });
    const [second] = await send({ accessToken: 'T-second' });
    await deliverAll();
    expect((await detail(second as string)).status).toBe('ACKNOWLEDGED');
    expect((await detail(first as string)).status).toBe('PENDING');
    clock.advance(2000);
    await deliverAll();
    expect((await detail(first as string)).status).toBe('ACKNOWLEDGED');
  });

  it('sends duplicates and concurrent copies that the merchant stores once', async () => {
    await setFaults({ duplicates: 1 });
    const dup = await send({ accessToken: 'T-dup' });
    await setFaults({ concurrent: 1 });
    const conc = await send({ accessToken: 'T-conc' });
    expect(dup).toHaveLength(2);
    expect(conc).toHaveLength(3);
    clock.advance(1000);
    await deliverAll();
    const rows = (await merchant.store.listInbox({ limit: 10 })).items;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.duplicates).sort()).toEqual([1, 2]);
  });

  it('answers the next API call with U, and signs the next response wrongly', async () => {
    await setFaults({ apiUnknown: 1, badResponseSignatures: 1 });
    const first = await api('consult', consultBody());
    expect(first.json.result).toMatchObject({ resultStatus: 'U', resultCode: 'UNKNOWN_EXCEPTION' });
    expect(first.signed).toBe(false);
    const second = await api('consult', consultBody());
    expect(second).toMatchObject({ signed: true, json: { result: { resultStatus: 'S' } } });
  });

  it('exposes deliveries by status and attempts by verdict on /metrics', async () => {
    await setFaults({ dropAcks: 1 });
    await send();
    await deliverAll();
    const text = await (await fetch(`${sandbox.url}/metrics`)).text();
    expect(text).toContain('authnotify_deliveries{status="PENDING"} 1');
    expect(text).toContain('authnotify_sender_attempts_total{verdict="ACK_DROPPED_BY_FAULT"} 1');
    expect(text).toMatch(/authnotify_sender_schedule_lateness_seconds_count 1/);
  });

  it('redelivers by hand and lists deliveries; refuses bad control requests', async () => {
    const [id] = await send();
    await deliverAll();
    const redeliver = await fetch(`${sandbox.url}/sandbox/v1/deliveries/${id}/redeliver`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    expect(redeliver.status).toBe(202);
    await deliverAll();
    expect((await detail(id as string)).attempts).toHaveLength(2);
    const list = (await (await fetch(`${sandbox.url}/sandbox/v1/deliveries?status=ACKNOWLEDGED`)).json()) as {
      items: unknown[];
    };
    expect(list.items).toHaveLength(1);
    expect((await fetch(`${sandbox.url}/sandbox/v1/deliveries?status=DONE`)).status).toBe(400);
    expect((await fetch(`${sandbox.url}/sandbox/v1/deliveries/nope`)).status).toBe(404);
    expect((await setFaults({ dropAcks: -1 })).status).toBe(400);
    const badSend = await fetch(`${sandbox.url}/sandbox/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"to":"http://127.0.0.1:1/"}',
    });
    expect(badSend.status).toBe(400);
    expect(await (await fetch(`${sandbox.url}/sandbox/deliveries`)).text()).toContain('ACKNOWLEDGED');
  });

  it('draws a delivery against its schedule on its own page, and filters the list by status and type', async () => {
    await setFaults({ dropAcks: 1 });
    const [id] = await send();
    await deliverAll(); // the ack is dropped: one attempt, the next slot is due
    const pageHtml = await (await fetch(`${sandbox.url}/sandbox/deliveries/${id}`)).text();
    const slots = [...pageHtml.matchAll(/<tr data-slot="(\d+)">(.*?)<\/tr>/gs)];
    expect(slots).toHaveLength(8);
    expect(slots.map((m) => /\+([^<]+)<\/td>/.exec(m[2] as string)?.[1])).toEqual(
      ['0ms', '2m', '12m', '22m', '1h 22m', '3h 22m', '9h 22m', '24h 22m'].map((d) =>
        expect.stringMatching(new RegExp(`^${d.replace(/ /g, ' ?')}$`)),
      ),
    );
    expect(slots[0]?.[2]).toMatch(/started .* → 200 <strong>ACK_DROPPED_BY_FAULT<\/strong>/);
    expect(slots[1]?.[2]).toMatch(/<strong>next<\/strong>, due/);
    expect(slots[2]?.[2]).toContain('not yet');
    const pending = await (
      await fetch(`${sandbox.url}/sandbox/deliveries?status=PENDING&type=TOKEN_CANCELED`)
    ).text();
    expect(pending).toContain(`data-id="${id}"`);
    const acked = await (await fetch(`${sandbox.url}/sandbox/deliveries?status=ACKNOWLEDGED`)).text();
    expect(acked).not.toContain(`data-id="${id}"`);
    const otherType = await (await fetch(`${sandbox.url}/sandbox/deliveries?type=TOKEN_CREATED`)).text();
    expect(otherType).not.toContain(`data-id="${id}"`);
    expect((await fetch(`${sandbox.url}/sandbox/deliveries/nope`)).status).toBe(404);
  });

  it('describes every fault switch, says which are on, and clears them all', async () => {
    await setFaults({ delayMs: 250, corruptSignatures: 2 });
    const html = await (await fetch(`${sandbox.url}/sandbox/deliveries`)).text();
    expect(html).toContain('Sign the next N deliveries with a signature that does not verify.');
    expect(html).toMatch(/id="faults-on">On now: delay ms 250 · corrupt signatures 2</);
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
    const cleared = await fetch(`${sandbox.url}/sandbox/faults/clear`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf)}`,
      redirect: 'manual',
    });
    expect(cleared.status).toBe(303);
    expect(await (await fetch(`${sandbox.url}/sandbox/v1/faults`)).json()).toMatchObject({
      delayMs: 0,
      corruptSignatures: 0,
    });
    expect(await (await fetch(`${sandbox.url}/sandbox/deliveries`)).text()).toContain('No faults are on.');
    const forged = await fetch(`${sandbox.url}/sandbox/faults/clear`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'csrf=forged',
    });
    expect(forged.status).toBe(403);
  });

  it('shows why the deliveries page could not redeliver instead of redirecting as if it had', async () => {
    const html = await (await fetch(`${sandbox.url}/sandbox/deliveries`)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
    expect(csrf).toBeDefined();
    const response = await fetch(`${sandbox.url}/sandbox/deliveries/nope/redeliver`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf as string)}`,
      redirect: 'manual',
    });
    expect(response.status).toBe(404);
    expect(await response.text()).toContain('Not redelivered');
  });
});
