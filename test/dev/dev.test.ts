import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningDev, startDev } from '../../src/cli/dev/dev.js';
import { silentLogger } from '../../src/protocol/logger.js';
import { cli } from '../helpers/cli.js';
import { type EventEndpoint, eventEndpoint } from '../helpers/event-endpoint.js';
import { sandboxFormToken } from '../helpers/sandbox.js';

let dev: RunningDev;
let endpoint: EventEndpoint;
const forwarded: string[] = [];

beforeAll(async () => {
  endpoint = await eventEndpoint('/merchant/authnotify-events');
  dev = await startDev({
    port: 0,
    dir: mkdtempSync(join(tmpdir(), 'authnotify-dev-')),
    timeScale: 3600,
    logger: {
      ...silentLogger,
      info: (fields: Record<string, unknown>, message: string) => {
        if (message === 'forwarded an event') forwarded.push(`${fields.event} ${fields.verdict}`);
      },
    },
    forwardTo: [{ url: endpoint.url }],
  });
});
afterAll(async () => {
  await dev?.close();
  await endpoint?.close();
});

/** Follows one redirect the way a browser would, returning the next URL. */
async function step(url: string, init: RequestInit = {}): Promise<string> {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  expect(response.status).toBe(303);
  return new URL(response.headers.get('location') as string, url).href;
}

/** Waits (bounded) for background delivery and processing to show a status on the demo page. */
async function demoShows(status: string, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const html = await (await fetch(dev.demo)).text();
    if (html.includes(`data-status="${status}"`)) return html;
    if (Date.now() > deadline) throw new Error(`demo page never showed ${status}:\n${html}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('authnotify dev', () => {
  it('lets a person connect Alipay, agree, land back ACTIVE, cancel in the wallet and see CANCELED', async () => {
    const wallet = await step(`${dev.demo}/connect`, { method: 'POST' });
    expect(wallet.startsWith(dev.sandbox)).toBe(true);
    const landing = await step(wallet, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `decision=agree&userLoginId=dana%40example.com&csrf=${await sandboxFormToken(dev.sandbox)}`,
    });
    expect(landing.startsWith(dev.service)).toBe(true);
    const back = await step(landing);
    expect(back.startsWith(`${dev.demo}/done`)).toBe(true);
    expect(await (await fetch(back)).text()).toContain('<strong>ACTIVE</strong>');

    const account = await (await fetch(`${dev.sandbox}/wallet/account?user=dana%40example.com`)).text();
    const token = /name="accessToken" value="([^"]+)"/.exec(account)?.[1] as string;
    expect(token).toBeTruthy();
    await step(`${dev.sandbox}/wallet/account/cancel`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        accessToken: token,
        user: 'dana@example.com',
        reason: 'moving banks',
        csrf: await sandboxFormToken(dev.sandbox),
      }),
    });
    const html = await demoShows('CANCELED');
    expect(html).toContain('moving banks');
    expect(html).not.toContain(token);

    // --forward-to: the merchant's own endpoint heard the whole flow, signed with the secret shown once.
    expect(dev.forwardSecrets).toEqual([{ url: endpoint.url, secret: expect.stringMatching(/^whsec_/) }]);
    const got = await endpoint.received(3);
    const wh = new Webhook(dev.forwardSecrets[0]?.secret as string);
    // Deliveries are not ordered (docs/receiving-events.md): a consumer orders one authorization's events by
    // data.version, and so does this test.
    const events = got
      .map(
        (r) =>
          wh.verify(r.body, r.headers as Record<string, string>) as {
            type: string;
            data: { status: string; reason: string | null; userLoginId: string; version: number };
          },
      )
      .sort((a, b) => a.data.version - b.data.version);
    expect(new Set(events.map((e) => e.data.version)).size).toBe(3);
    expect(events.map((e) => e.type)).toEqual([
      'authorization.code_received',
      'authorization.activated',
      'authorization.canceled',
    ]);
    expect(events[2]?.data).toMatchObject({
      status: 'CANCELED',
      reason: 'moving banks',
      userLoginId: 'd****@example.com',
    });
    expect(got.map((r) => r.body).join('')).not.toContain(token);
    // the dev console line comes once the attempt is recorded, just after the endpoint answered
    for (let i = 0; i < 100 && forwarded.length < 3; i++) await new Promise((r) => setTimeout(r, 50));
    expect([...forwarded].sort()).toEqual([
      'authorization.activated DELIVERED',
      'authorization.canceled DELIVERED',
      'authorization.code_received DELIVERED',
    ]);
  });

  it('--port rejects a value that leaves no room for the next two ports', async () => {
    const run = await cli(['dev', '--port', '65535']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/not a usable port/);
  });
});

describe('authnotify dev signs the operator in', () => {
  it('with a one-time link to the dashboard, which a second use refuses', async () => {
    expect(dev.dashboardSignIn).toMatch(/\/dashboard\/login\?code=[0-9a-f]{64}$/);
    const first = await fetch(dev.dashboardSignIn, { redirect: 'manual' });
    expect(first.status).toBe(303);
    expect(first.headers.get('location')).toBe('/dashboard');
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const page = await fetch(`${dev.service}/dashboard/authorizations`, {
      headers: { cookie },
      redirect: 'manual',
    });
    expect(page.status).toBe(200);
    const again = await fetch(dev.dashboardSignIn, { redirect: 'manual' });
    expect(again.status).toBe(401);
    expect(again.headers.get('set-cookie')).toBeNull();
    expect(await again.text()).toContain('That sign-in link was used already or has expired.');
    const guessed = await fetch(`${dev.service}/dashboard/login?code=${'0'.repeat(64)}`, {
      redirect: 'manual',
    });
    expect(guessed.status).toBe(401);
  });
});
