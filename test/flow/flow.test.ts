import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuthorizationView } from '../../src/authorization/view.js';
import { createAlipayClient } from '../../src/client/client.js';
import { ManualClock } from '../../src/protocol/clock.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import type { RunningService } from '../../src/service/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, START } from '../helpers/receiver.js';
import { sandboxFormToken, startTestSandbox } from '../helpers/sandbox.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'flow-admin-token-0123456789abcdef';
let clock: ManualClock;
let sandbox: RunningSandbox;
let service: RunningService;
const events: string[] = [];

beforeEach(async () => {
  clock = new ManualClock(START);
  events.length = 0;
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-flow-'));
  sandbox = await startTestSandbox({ accessTokenTtlMs: 10 * 60_000, clock });
  const client = await createAlipayClient({
    clientId: CLIENT_ID,
    merchantPrivateKey: fixtureText('keys/alipay-v2.private.pem'),
    alipayPublicKeys: sandbox.alipayPublicKey,
    endpoint: sandbox.url,
    keyVersion: '1',
    clock,
    sleep: async () => undefined,
  });
  service = await startTestService({
    store: await createSqliteStore({ path: join(dir, 'service.db') }),
    alipayPublicKeys: { '1': sandbox.alipayPublicKey },
    adminToken: ADMIN,
    clock,
    flow: { client, refreshMarginMs: 5 * 60_000, refreshIntervalMs: 3_600_000 },
  });
  service.flow?.on('authorization.*', (a: AuthorizationView) => void events.push(a.status));
});

afterEach(async () => {
  await service.close();
  await sandbox.close();
});

const admin = (path: string, init: RequestInit = {}) =>
  fetch(`${service.url}${path}`, {
    ...init,
    headers: {
      authorization: `Bearer ${ADMIN}`,
      'content-type': 'application/json',
      ...(init.headers ?? {}),
    },
  });

async function start(scopes = ['AGREEMENT_PAY'], redirectUrl = 'https://shop.example/alipay/done') {
  const response = await admin('/api/v1/authorizations', {
    method: 'POST',
    body: JSON.stringify({ merchantUserId: 'user-42', scopes, terminalType: 'WEB', redirectUrl }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; authState: string; normalUrl: string };
}

/** The person on the wallet page: Agree (or Decline); returns where the wallet sends the browser. */
async function wallet(normalUrl: string, decision = 'agree'): Promise<string> {
  const response = await fetch(normalUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `decision=${decision}&userLoginId=bob%40example.com&csrf=${await sandboxFormToken(new URL(normalUrl).origin)}`,
    redirect: 'manual',
  });
  return response.headers.get('location') as string;
}

async function follow(url: string) {
  const response = await fetch(url, { redirect: 'manual' });
  return {
    status: response.status,
    location: response.headers.get('location'),
    body: response.status === 303 ? null : await response.json(),
  };
}

async function deliverAndProcess() {
  while ((await sandbox.sender.runOnce()) > 0);
  await service.receiver.drain();
}

const applyTokenCalls = async () =>
  (
    (await (await fetch(`${sandbox.url}/sandbox/v1/requests`)).json()) as {
      items: { api: string; resultStatus: string }[];
    }
  ).items.filter((r) => r.api === 'applyToken');

async function status(id: string) {
  return (await (await admin(`/api/v1/authorizations/${id}`)).json()) as {
    status: string;
    timeline: { kind: string }[];
    reason: string | null;
  };
}

describe('the whole authorization flow through real HTTP', () => {
  it('consult → Agree → redirect lands ACTIVE → notification races it → applyToken ran once → usable token', async () => {
    const { id, normalUrl } = await start();
    expect((await status(id)).status).toBe('PENDING');
    const landing = await follow(await wallet(normalUrl));
    expect(landing.status).toBe(303);
    const done = new URL(landing.location as string);
    expect(done.origin + done.pathname).toBe('https://shop.example/alipay/done');
    expect(done.searchParams.get('authorizationId')).toBe(id);
    expect(done.searchParams.get('status')).toBe('ACTIVE');
    await deliverAndProcess(); // the AUTHCODE_CREATED for the same code arrives now
    expect((await applyTokenCalls()).length).toBe(1);
    const token = (await (await admin(`/api/v1/authorizations/${id}/access-token`)).json()) as {
      accessToken: string;
    };
    const sandboxTokens = sandbox.context.state.tokensOf('bob@example.com');
    expect(token.accessToken).toBe(sandboxTokens[0]?.accessToken);
    expect(events).toContain('ACTIVE');
    const list = await (await admin('/api/v1/authorizations?status=ACTIVE')).text();
    expect(list).not.toContain(token.accessToken);
  });

  it('redeems from the notification when it arrives before the redirect, still exactly once', async () => {
    const { id, normalUrl } = await start();
    const back = await wallet(normalUrl);
    await deliverAndProcess();
    expect((await status(id)).status).toBe('ACTIVE');
    const landing = await follow(back);
    expect(new URL(landing.location as string).searchParams.get('status')).toBe('ACTIVE');
    expect((await applyTokenCalls()).filter((r) => r.resultStatus === 'S')).toHaveLength(1);
    expect((await applyTokenCalls()).length).toBe(1);
  });

  it('stores the token when TOKEN_CREATED comes first (no Auto Debit)', async () => {
    const { id, normalUrl } = await start(['BASE_USER_INFO']);
    const back = await wallet(normalUrl);
    await deliverAndProcess();
    await follow(back);
    const token = (await (await admin(`/api/v1/authorizations/${id}/access-token`)).json()) as {
      accessToken: string;
    };
    expect(token.accessToken).toMatch(/^281001/);
  });

  it('shows CANCELED with the reason after the user cancels in the wallet', async () => {
    const { id, normalUrl } = await start();
    await follow(await wallet(normalUrl));
    const token = sandbox.context.state.tokensOf('bob@example.com')[0]?.accessToken as string;
    await fetch(`${sandbox.url}/wallet/account/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        accessToken: token,
        user: 'bob@example.com',
        reason: 'changed my mind',
        csrf: await sandboxFormToken(sandbox.url),
      }),
      redirect: 'manual',
    });
    await deliverAndProcess();
    expect(await status(id)).toMatchObject({ status: 'CANCELED', reason: 'changed my mind' });
    expect(events).toContain('CANCELED');
    expect((await admin(`/api/v1/authorizations/${id}/access-token`)).status).toBe(409);
  });

  it('revokes through the API and Alipay agrees', async () => {
    const { id, normalUrl } = await start();
    await follow(await wallet(normalUrl));
    const revoked = await admin(`/api/v1/authorizations/${id}/revoke`, { method: 'POST' });
    expect(((await revoked.json()) as { status: string }).status).toBe('REVOKED');
    const token = sandbox.context.state.tokensOf('bob@example.com')[0];
    expect(token?.status).toBe('REVOKED');
  });

  it('refreshes a token about to expire, on the injected clock', async () => {
    const { id, normalUrl } = await start();
    await follow(await wallet(normalUrl));
    const first = (
      (await (await admin(`/api/v1/authorizations/${id}/access-token`)).json()) as { accessToken: string }
    ).accessToken;
    clock.advance(6 * 60_000); // the 10-minute token is inside the 5-minute margin now
    expect(await service.flow?.refreshDue()).toBe(1);
    const second = (
      (await (await admin(`/api/v1/authorizations/${id}/access-token`)).json()) as { accessToken: string }
    ).accessToken;
    expect(second).not.toBe(first);
    expect((await status(id)).timeline.map((e) => e.kind)).toContain('token.refreshed');
    clock.advance(60 * 60_000);
    const third = (
      (await (await admin(`/api/v1/authorizations/${id}/access-token`)).json()) as { accessToken: string }
    ).accessToken;
    expect(third).not.toBe(second); // refreshed on read when due
  });

  it('refuses a forged authState at the landing', async () => {
    const landing = await follow(`${service.url}/alipay/authorize/return?authCode=x&authState=forged`);
    expect(landing.status).toBe(400);
    expect(landing.body).toMatchObject({ error: { code: 'PARAM_ILLEGAL' } });
    expect((await applyTokenCalls()).length).toBe(0);
  });

  it('marks a declined authorization FAILED and says so in the redirect', async () => {
    const { id, normalUrl } = await start();
    const landing = await follow(await wallet(normalUrl, 'decline'));
    expect(new URL(landing.location as string).searchParams.get('status')).toBe('FAILED');
    expect(await status(id)).toMatchObject({ status: 'FAILED', reason: 'USER_DECLINED' });
  });

  it('retries a U consult and succeeds', async () => {
    await fetch(`${sandbox.url}/sandbox/v1/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"apiUnknown":1}',
    });
    const { normalUrl } = await start();
    expect(normalUrl).toContain('/wallet/authorize/');
  });

  it('does not trust an applyToken answer with a bad signature; the retry finds the code spent and ends FAILED', async () => {
    const { id, normalUrl } = await start();
    const back = await wallet(normalUrl);
    await fetch(`${sandbox.url}/sandbox/v1/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"badResponseSignatures":1}',
    });
    const landing = await follow(back);
    expect(landing.status).toBe(502);
    expect(landing.body).toMatchObject({ error: { code: 'ALIPAY_RESPONSE_INVALID' } });
    expect((await status(id)).status).toBe('CODE_RECEIVED');
    await deliverAndProcess(); // AUTHCODE_CREATED: the claim was released, so this path tries again
    expect(await status(id)).toMatchObject({ status: 'FAILED', reason: 'INVALID_CODE' });
    expect((await applyTokenCalls()).map((r) => r.resultStatus)).toEqual(['F', 'S']);
  });

  it('answers specific errors for bad flow requests', async () => {
    const bad = await admin('/api/v1/authorizations', {
      method: 'POST',
      body: JSON.stringify({ merchantUserId: 'u', scopes: [], terminalType: 'WEB' }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'PARAM_ILLEGAL' } });
    expect((await admin('/api/v1/authorizations/nope/access-token')).status).toBe(404);
    const unauth = await fetch(`${service.url}/api/v1/authorizations`, { method: 'POST', body: '{}' });
    expect(unauth.status).toBe(401);
  });
});
