import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/service/api.js';
import { OK, testReceiver } from '../helpers/receiver.js';

const TOKEN = 'dashboard-admin-token-0123456789abcdef';

async function signedIn() {
  const t = await testReceiver();
  const app = createApi({ receiver: t.receiver, adminToken: TOKEN });
  const login = await app.request('/dashboard/login', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `token=${TOKEN}`,
  });
  expect(login.status).toBe(303);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
  return { t, app, get: (path: string) => app.request(path, { headers: { cookie } }) };
}

describe('the dashboard for a person', () => {
  it('is where the service root leads', async () => {
    const t = await testReceiver();
    const app = createApi({ receiver: t.receiver, adminToken: TOKEN });
    const root = await app.request('/');
    expect(root.status).toBe(302);
    expect(root.headers.get('location')).toBe('/dashboard');
  });

  it('shows ids a person can tell apart: rows made in the same second differ, the full id is in the title', async () => {
    const { t, get } = await signedIn();
    for (const token of ['T-id-1', 'T-id-2', 'T-id-3', 'T-id-4'])
      await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: token, result: OK });
    const rows = (await t.store.listInbox({ limit: 10 })).items;
    expect(new Set(rows.map((r) => r.id.slice(0, 8))).size).toBe(1); // one clock: the timestamp prefix is shared
    const html = await (await get('/dashboard/inbox')).text();
    const shown = [...html.matchAll(/<code title="([^"]+)">…([0-9a-f]{8})<\/code>/g)];
    expect(shown.map((m) => m[1]).sort()).toEqual(rows.map((r) => r.id).sort());
    expect(new Set(shown.map((m) => m[2])).size).toBe(4);
    for (const m of shown) expect(m[1]?.endsWith(m[2] as string)).toBe(true);
    const detail = await (await get(`/dashboard/inbox/${rows[0]?.id}`)).text();
    expect(detail).toContain(`<code>${rows[0]?.id}</code>`);
  });
});

describe('a notification page', () => {
  it('lists every processing attempt with its error, then the one that processed it', async () => {
    const { t, get } = await signedIn();
    let failures = 0;
    t.receiver.on('TOKEN_CANCELED', () => {
      failures++;
      if (failures <= 2) throw new Error(`merchant database timeout #${failures}`);
    });
    await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T-attempts', result: OK });
    for (let i = 0; i < 3; i++) {
      await t.receiver.drain();
      t.clock.advance(60_000);
    }
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row?.status).toBe('PROCESSED');
    const html = await (await get(`/dashboard/inbox/${row?.id}`)).text();
    const attempts = [
      ...html.matchAll(/<tr data-outcome="(\w+)"><td>(\d+)<\/td>.*?<td>([^<]*)<\/td><\/tr>/g),
    ].map((m) => [m[1], m[2], m[3]]);
    expect(attempts).toEqual([
      ['RETRY', '1', 'merchant database timeout #1'],
      ['RETRY', '2', 'merchant database timeout #2'],
      ['PROCESSED', '3', ''],
    ]);
  });
});

describe('dashboard sessions', () => {
  it('work on every process behind one load balancer (signed cookies, nothing in memory)', async () => {
    const a = await signedIn();
    // a second process: its own receiver and API on the same store, with the same secret key and admin token
    const b = createApi({ receiver: a.t.receiver, adminToken: TOKEN });
    const other = await testReceiver({}, a.t.store);
    const c = createApi({ receiver: other.receiver, adminToken: TOKEN });
    const cookie = (
      await a.app.request('/dashboard/login', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${TOKEN}`,
      })
    ).headers
      .get('set-cookie')
      ?.split(';')[0] as string;
    for (const app of [b, c]) {
      const page = await app.request('/dashboard/inbox', { headers: { cookie } });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<h1>Inbox');
    }
  });

  it.each([
    ['an altered expiry', (v: string) => v.replace(/\.(\d+)\./, (_m, e: string) => `.${Number(e) + 1000}.`)],
    [
      'an altered id',
      (v: string) => v.replace(/^v1\.(.)/, (_m, ch: string) => `v1.${ch === 'a' ? 'b' : 'a'}`),
    ],
    ['a made-up value', () => 'v1.00.1.00'],
  ])('sends a cookie with %s back to sign-in', async (_name, alter) => {
    const { app, get } = await signedIn();
    const login = await app.request('/dashboard/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    const setCookie = login.headers.get('set-cookie') ?? '';
    const [name, value] = (setCookie.split(';')[0] ?? '').split('=') as [string, string];
    const page = await app.request('/dashboard/inbox', { headers: { cookie: `${name}=${alter(value)}` } });
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/dashboard/login');
    expect((await get('/dashboard/inbox')).status).toBe(200); // the genuine one still works
  });

  it('ends when it expires or when the admin token changes', async () => {
    const { SessionCookies } = await import('../../src/service/dashboard-session.js');
    const t = await testReceiver();
    const cookies = new SessionCookies(t.receiver.secrets, TOKEN, 60_000);
    const { value, session } = await cookies.issue(1_000);
    expect(await cookies.read(value, 60_999)).toEqual(session);
    expect(await cookies.read(value, 61_001)).toBeUndefined();
    const rotated = new SessionCookies(t.receiver.secrets, `${TOKEN}-rotated`, 60_000);
    expect(await rotated.read(value, 2_000)).toBeUndefined();
  });
});

describe('the dashboard shows a notification whole', () => {
  it('with its masked body and headers, why it is quarantined, and the authorization it changed', async () => {
    const { t, get } = await signedIn();
    await t.send({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-page-secret-token',
      reason: 'left',
      result: OK,
    });
    await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', result: { resultStatus: 'S' } }); // no token: quarantined
    await t.receiver.drain();
    const rows = (await t.store.listInbox({ limit: 10 })).items;
    const processed = rows.find((r) => r.status === 'PROCESSED');
    const quarantined = rows.find((r) => r.status === 'QUARANTINED');
    const page = await (await get(`/dashboard/inbox/${processed?.id}`)).text();
    expect(page).toContain('TOKEN_CANCELED');
    expect(page).not.toContain('T-page-secret-token');
    expect(page).toMatch(/<pre id="body">[\s\S]*&quot;reason&quot;: &quot;left&quot;/);
    expect(page).toContain('verified over the configured notify path');
    expect(page).toMatch(
      /<td>Signature<\/td><td><code>algorithm=RSA256,keyVersion=1,signature=.{0,8}…<\/code>/,
    );
    expect(page).toContain('outcome TOMBSTONED');
    const bad = await (await get(`/dashboard/inbox/${quarantined?.id}`)).text();
    expect(bad).toMatch(/<ul id="violations"><li><code>accessToken<\/code> required/);
  });

  it('pages through every row with an Older link, and refuses a forged cursor with a message', async () => {
    const { t, get } = await signedIn();
    for (let i = 0; i < 53; i++)
      await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: `T-page-${i}`, result: OK });
    const first = await (await get('/dashboard/inbox')).text();
    const ids = (html: string) => [...html.matchAll(/<code title="([^"]+)">/g)].map((m) => m[1]);
    expect(ids(first)).toHaveLength(50);
    const older = /<a id="older" href="([^"]+)">/.exec(first)?.[1]?.replace(/&amp;/g, '&') as string;
    const second = await (await get(older)).text();
    expect(ids(second)).toHaveLength(3);
    expect(second).not.toContain('id="older"');
    expect(new Set([...ids(first), ...ids(second)]).size).toBe(53);
    const forged = await get('/dashboard/inbox?cursor=not-a-cursor');
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain('That page link is not valid');
  });
});

describe('the dashboard home page', () => {
  it('draws notifications per minute by status and the last hour’s rejections by code', async () => {
    const { t, get } = await signedIn();
    t.clock.set(Date.now()); // the chart looks back from the wall clock
    for (const token of ['T-chart-1', 'T-chart-2'])
      await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: token, result: OK });
    await t.receiver.drain();
    const html = await (await get('/dashboard/authorizations')).text();
    expect(html).toMatch(/<figcaption>Notifications received per minute, last 3 h: 2 \(peak 2\/min\)/);
    const bars = [...html.matchAll(/<rect [^>]*fill="(#[0-9a-f]+)"><title>\d\d:\d\d (\w+) (\d+)<\/title>/g)];
    expect(bars.map((m) => [m[2], m[3]])).toEqual([['PROCESSED', '2']]);
    expect(html).toContain('No rejected requests in the last hour.');
  });

  it('shows rejections by code once some were refused', async () => {
    const t = await testReceiver();
    const { RecentRejections } = await import('../../src/service/dashboard.js');
    const rejections = new RecentRejections();
    const app = createApi({ receiver: t.receiver, adminToken: TOKEN, rejections });
    rejections.observer.received?.('rejected', 'INVALID_SIGNATURE', null, 1);
    rejections.observer.received?.('rejected', 'INVALID_SIGNATURE', null, 1);
    rejections.observer.received?.('rejected', 'CLIENT_ID_MISMATCH', null, 1);
    const login = await app.request('/dashboard/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const html = await (await app.request('/dashboard/authorizations', { headers: { cookie } })).text();
    const labels = [...html.matchAll(/<text x="0" y="\d+" font-size="12">(\w+)<\/text>/g)].map((m) => m[1]);
    expect(labels).toEqual(['INVALID_SIGNATURE', 'CLIENT_ID_MISMATCH']);
  });
});

describe('searching the dashboard', () => {
  it('finds notifications by id, type, outcome and a UTC time range', async () => {
    const { t, get } = await signedIn();
    const start = t.clock.now();
    await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T-search-1', result: OK });
    t.clock.advance(3 * 60_000);
    await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T-search-2', result: OK });
    await t.receiver.drain();
    const rows = (await t.store.listInbox({ limit: 10 })).items;
    const shown = async (query: string) =>
      [...(await (await get(`/dashboard/inbox?${query}`)).text()).matchAll(/<code title="([^"]+)">/g)].map(
        (m) => m[1],
      );
    const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    expect(await shown(`from=${minute(start + 60_000)}`)).toEqual([rows[0]?.id]);
    expect(await shown(`to=${minute(start + 60_000)}`)).toEqual([rows[1]?.id]);
    expect(await shown('outcome=TOMBSTONED&type=TOKEN_CANCELED')).toHaveLength(2);
    expect(await shown('outcome=APPLIED')).toEqual([]);
    const byId = await get(`/dashboard/inbox?id=${rows[1]?.id}`);
    expect(byId.status).toBe(303);
    expect(byId.headers.get('location')).toBe(`/dashboard/inbox/${rows[1]?.id}`);
    expect(await (await get('/dashboard/inbox?id=no-such-id')).text()).toContain(
      'No notification has the id no-such-id.',
    );
  });

  it('finds authorizations by id and by the wallet login, searched masked as it is stored', async () => {
    const { t, get } = await signedIn();
    const { newAuthorization } = await import('../../src/authorization/record.js');
    const a = newAuthorization({
      id: '01a2b3c4-0000-7000-8000-000000000001',
      status: 'ACTIVE',
      authState: 'st-search',
      userLoginIdMasked: 'e****@example.com',
      createdAt: 1,
    });
    await t.store.saveConsult(
      {
        authState: 'st-search',
        authorizationId: a.id,
        merchantReference: null,
        createdAt: 1,
        expiresAt: null,
      },
      a,
    );
    const byId = await get(`/dashboard/authorizations?q=${a.id}`);
    expect(byId.status).toBe(303);
    expect(byId.headers.get('location')).toBe(`/dashboard/authorizations/${a.id}`);
    const byLogin = await (await get('/dashboard/authorizations?q=eve%40example.com')).text();
    expect(byLogin).toContain(`title="${a.id}"`);
    const other = await (await get('/dashboard/authorizations?q=bob%40example.com')).text();
    expect(other).not.toContain(`title="${a.id}"`);
  });
});

describe('an authorization page', () => {
  it('lists the notifications that moved it, newest first, beside its timeline', async () => {
    const { t, get } = await signedIn();
    const { newAuthorization } = await import('../../src/authorization/record.js');
    const a = newAuthorization({
      id: '01a2b3c4-0000-7000-8000-0000000000aa',
      status: 'PENDING',
      authState: 'st-page',
      createdAt: t.clock.now(),
    });
    await t.store.saveConsult(
      {
        authState: 'st-page',
        authorizationId: a.id,
        merchantReference: null,
        createdAt: t.clock.now(),
        expiresAt: null,
      },
      a,
    );
    await t.send({
      authorizationNotifyType: 'TOKEN_CREATED',
      accessToken: 'T-page-a',
      authState: 'st-page',
      result: OK,
    });
    await t.receiver.drain();
    t.clock.advance(1000);
    await t.send({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-page-a',
      reason: 'left',
      result: OK,
    });
    await t.receiver.drain();
    const inbox = (await t.store.listInbox({ limit: 5 })).items; // newest first
    const html = await (await get(`/dashboard/authorizations/${a.id}`)).text();
    const table = html.slice(html.indexOf('<table id="notifications">'));
    const listed = [...table.matchAll(/<code title="([^"]+)">/g)].map((m) => m[1]);
    expect(listed).toEqual(inbox.map((r) => r.id));
    expect(table).toMatch(/TOKEN_CANCELED<\/td><td><span class="badge">PROCESSED<\/span><\/td><td>APPLIED/);
  });
});
