/**
 * A person using `authnotify dev` in a real browser (Debian's Chromium through playwright-core): connect,
 * agree, come back ACTIVE; cancel in the wallet and see CANCELED with the reason on the dashboard; reprocess
 * a quarantined notification from the inbox page. Screenshots of every page go to test-results/screenshots/.
 * Skips with the reason where no Chromium is installed.
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDev, startDev } from '../../src/cli/dev/dev.js';
import { silentLogger } from '../../src/protocol/logger.js';
import { until } from '../helpers/wait.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const skipReason = existsSync(CHROMIUM)
  ? undefined
  : `no Chromium at ${CHROMIUM} (apt-get install -y chromium)`;
if (skipReason) console.warn(`skipping browser tests: ${skipReason}`);
const SHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

let dev: RunningDev;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (skipReason) return;
  mkdirSync(SHOTS, { recursive: true });
  dev = await startDev({
    port: 0,
    dir: mkdtempSync(join(tmpdir(), 'authnotify-browser-')),
    timeScale: 3600,
    logger: silentLogger,
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
      '--disable-quic',
      '--disable-sync',
    ],
  });
  page = await browser.newPage();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await dev?.close();
});

async function shot(name: string) {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

const admin = async (path: string) =>
  (await fetch(`${dev.service}${path}`, { headers: { authorization: `Bearer ${dev.adminToken}` } })).json();

describe.skipIf(skipReason !== undefined)('authnotify dev in a browser', () => {
  it('connect → agree → ACTIVE; cancel in the wallet → CANCELED with the reason on the dashboard', async () => {
    await page.goto(dev.demo);
    await shot('01-demo');
    await page.click('#connect');
    await page.waitForURL(/\/wallet\/authorize\//);
    await page.fill('input[name=userLoginId]', 'erin@example.com');
    await shot('02-wallet-authorize');
    await page.click('#agree');
    await page.waitForURL(/\/done\?/);
    expect(await page.locator('#result').textContent()).toContain('ACTIVE');
    await shot('03-demo-done');

    await page.goto(`${dev.service}/dashboard`);
    await page.waitForURL(/\/dashboard\/login/);
    await shot('04-dashboard-login');
    await page.fill('#token', dev.adminToken);
    await page.click('#signin');
    await page.waitForURL(/\/dashboard\/authorizations/);
    expect(await page.locator('tr[data-status="ACTIVE"]').count()).toBe(1);
    expect(await page.content()).toContain('e****@example.com');
    expect(await page.content()).not.toContain('erin@example.com');
    await shot('05-dashboard-active');

    await page.goto(`${dev.sandbox}/wallet/account?user=erin%40example.com`);
    await page.fill('input[name=reason]', 'switching to another wallet');
    await shot('06-wallet-account');
    await page.click('text=Cancel authorization');
    await page.goto(`${dev.service}/dashboard/authorizations`);
    const link = page.locator('tr td a').first();
    const href = (await link.getAttribute('href')) as string;
    const id = href.split('/').pop() as string;
    await until(
      'the authorization to be CANCELED',
      async () => ((await admin(`/api/v1/authorizations/${id}`)) as { status: string }).status === 'CANCELED',
    );
    await page.goto(`${dev.service}${href}`);
    expect(await page.locator('#status').textContent()).toBe('CANCELED');
    expect(await page.locator('#reason').textContent()).toBe('switching to another wallet');
    await shot('07-dashboard-canceled');
  }, 60_000);

  it('reprocesses a quarantined notification from the inbox page and says why it still cannot be applied', async () => {
    // A genuine notification the receiver cannot apply: quarantined, acknowledged, kept.
    const response = await fetch(`${dev.sandbox}/sandbox/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        body: '{"authorizationNotifyType":"TOKEN_REFRESHED","accessToken":"T","result":{"resultCode":"SUCCESS","resultStatus":"S"}}',
      }),
    });
    expect(response.status).toBe(202);
    await until(
      'the notification to be quarantined',
      async () =>
        ((await admin('/api/v1/notifications?status=QUARANTINED')) as { items: unknown[] }).items.length ===
        1,
    );
    await page.goto(`${dev.service}/dashboard/inbox?status=QUARANTINED`);
    expect(await page.locator('tr[data-status="QUARANTINED"]').count()).toBe(1);
    await shot('08-inbox-quarantined');
    await page.click('tr[data-status="QUARANTINED"] button');
    await page.waitForURL(/flash=/);
    expect(await page.locator('#flash').textContent()).toMatch(
      /Not reprocessed: .*still does not validate: authorizationNotifyType enum/,
    );
    await shot('09-inbox-reprocess');
  }, 60_000);

  it('sets a fault on the sandbox page and shows the retry on the delivery timeline', async () => {
    await page.goto(`${dev.sandbox}/sandbox/deliveries`);
    await page.fill('#faults input[name=dropAcks]', '1');
    await page.click('#faults button');
    await page.waitForURL(/\/sandbox\/deliveries$/);
    const sent = await fetch(`${dev.sandbox}/sandbox/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'TOKEN_CANCELED', fields: { accessToken: 'T-browser-fault' } }),
    });
    const [id] = ((await sent.json()) as { deliveryIds: string[] }).deliveryIds;
    await until(
      'the delivery to be acknowledged',
      async () =>
        ((await (await fetch(`${dev.sandbox}/sandbox/v1/deliveries/${id}`)).json()) as { status: string })
          .status === 'ACKNOWLEDGED',
    );
    await page.goto(`${dev.sandbox}/sandbox/deliveries`);
    const row = (await page.locator(`tr[data-id="${id}"]`).textContent()) ?? '';
    expect(row).toContain('ACK_DROPPED_BY_FAULT');
    await shot('10-sandbox-deliveries');
    // The pages' Content-Security-Policy forbids scripts from fetching anything, so the forged post comes
    // from outside the page, as a same-origin form would look.
    const forged = await fetch(`${dev.sandbox}/sandbox/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: dev.sandbox },
      body: 'dropAcks=5&csrf=forged',
    });
    expect(forged.status).toBe(403);
    expect(
      await page.evaluate(() =>
        fetch('/sandbox/v1/faults').then(
          () => 'fetched',
          () => 'blocked',
        ),
      ),
    ).toBe('blocked');
  }, 60_000);

  it('refuses a POST without the session’s CSRF token', async () => {
    await page.goto(`${dev.service}/dashboard/authorizations`);
    // With the signed-in session's cookie but a forged token (scripts on the page cannot fetch: CSP).
    const cookies = await page.context().cookies(`${dev.service}/dashboard/authorizations`);
    const session = cookies.find((c) => c.name === 'authnotify_session');
    const result = await fetch(`${dev.service}/dashboard/logout`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `authnotify_session=${session?.value ?? ''}`,
      },
      body: 'csrf=forged',
      redirect: 'manual',
    });
    expect(result.status).toBe(403);
    expect(cookies.find((c) => c.name === 'authnotify_session')).toMatchObject({
      httpOnly: true,
      sameSite: 'Strict',
    });
  });

  it('follows notifications and lifecycle changes live on the dashboard, from the event stream', async () => {
    const live = page;
    await live.goto(`${dev.service}/dashboard/live`);
    await live.waitForFunction("document.getElementById('state')?.textContent === 'following'");
    const sent = await fetch(`${dev.sandbox}/sandbox/v1/notifications`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'TOKEN_CANCELED', fields: { accessToken: 'T-browser-live' } }),
    });
    expect(sent.status).toBe(202);
    await live.waitForSelector('#live li[data-kind="notification"]', { timeout: 15_000 });
    const line = (await live.locator('#live li').first().textContent()) ?? '';
    expect(line).toMatch(/notification {2}TOKEN_CANCELED {2}…[0-9a-f]{8}/);
    expect(await live.content()).not.toContain('T-browser-live');
    await shot('12-dashboard-live');
  }, 60_000);

  it("shows a forwarding destination, its deliveries and a delivery's attempts", async () => {
    const created = await fetch(`${dev.service}/api/v1/destinations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${dev.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ url: 'http://127.0.0.1:9/merchant/events', description: 'nobody listens here' }),
    });
    const { id } = (await created.json()) as { id: string };
    // a lifecycle change after the destination exists: the wallet cancels a token of a fresh authorization
    await page.goto(dev.demo);
    await page.click('#connect');
    await page.waitForURL(/\/wallet\/authorize\//);
    await page.fill('input[name=userLoginId]', 'fay@example.com');
    await page.click('#agree');
    await page.waitForURL(/\/done\?/);
    await until('a delivery attempt', async () => {
      const list = (await admin(`/api/v1/destinations/${id}/deliveries`)) as {
        items: { attempts: number }[];
      };
      return list.items.some((d) => d.attempts > 0);
    });
    await page.goto(`${dev.service}/dashboard/destinations`);
    expect(await page.locator('#destinations tr[data-status="ACTIVE"]').count()).toBeGreaterThan(0);
    await shot('13-dashboard-forwarding');
    await page.goto(`${dev.service}/dashboard/destinations/${id}`);
    await shot('14-dashboard-destination');
    await page.click('#deliveries tr td a');
    expect(await page.locator('#attempts').textContent()).toContain('CONNECTION_REFUSED');
    await shot('15-dashboard-delivery');
  }, 60_000);

  it.each([1366, 1280, 1024])(
    'lays out the inbox and the deliveries at %i px without wrapped dates or ids, or sideways scrolling',
    async (width) => {
      await page.setViewportSize({ width, height: 900 });
      for (const [url, name] of [
        [`${dev.service}/dashboard/inbox`, 'inbox'],
        [`${dev.sandbox}/sandbox/deliveries`, 'deliveries'],
      ] as const) {
        await page.goto(url);
        // Expressions as text: this file is type-checked without the DOM library.
        const overflow = (await page.evaluate(
          'document.documentElement.scrollWidth - document.documentElement.clientWidth',
        )) as number;
        expect(overflow).toBeLessThanOrEqual(0);
        const wrapped = (await page.evaluate(
          "[...document.querySelectorAll('time, td code')].filter((el) => el.getClientRects().length > 1).length",
        )) as number;
        expect(wrapped).toBe(0);
        expect(await page.locator('time, td code').count()).toBeGreaterThan(0);
        await shot(`11-${name}-${width}`);
      }
    },
    60_000,
  );
});
