import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tailLine } from '../../src/cli/commands/tail.js';
import { ManualClock } from '../../src/protocol/clock.js';
import type { RunningService } from '../../src/service/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { cli } from '../helpers/cli.js';
import { OK, signAsFixtureAlipay } from '../helpers/receiver.js';
import { runCliProcess } from '../helpers/serve-process.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'admin-token-for-tests-0123456789';

describe('authnotify tail', () => {
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-tail-'));
  const database = join(dir, 'service.db');
  const clock = new ManualClock(Date.now());
  let service: RunningService | undefined;
  afterAll(async () => {
    await service?.close();
  });

  async function start(port = 0) {
    service = await startTestService({
      store: await createSqliteStore({ path: database }),
      adminToken: ADMIN,
      clock,
      port,
      acceptUnknownAuthState: true,
      process: true,
      processor: { pollIntervalMs: 20, nudgeDelayMs: 1 },
      streamPollMs: 20,
    });
    return service;
  }

  async function notify(s: RunningService, notification: Record<string, unknown>) {
    const signed = await signAsFixtureAlipay(notification, { now: clock.now() });
    const r = await fetch(`${s.url}${signed.path}`, {
      method: 'POST',
      headers: signed.headers,
      body: signed.body,
    });
    expect(r.status).toBe(200);
  }

  it('follows notifications and lifecycle changes, one JSON object a line, and resumes after a reconnect', async () => {
    const s = await start();
    const port = Number(new URL(s.url).port);
    const tail = runCliProcess(['tail', '--service', s.url, '--json'], { AUTHNOTIFY_ADMIN_TOKEN: ADMIN });
    // It prints "following …" on stderr once connected.
    for (let i = 0; i < 100 && !tail.stderr().includes('following'); i++)
      await new Promise((r) => setTimeout(r, 50));
    const accessToken = `TOK-tail-${Math.random()}`;
    await notify(s, {
      authorizationNotifyType: 'TOKEN_CREATED',
      accessToken,
      authState: 'st-tail',
      result: OK,
    });
    clock.advance(2000); // notifications are followed a moment behind the service's clock
    const first = (await tail.lines(2)).map(
      (l) => JSON.parse(l) as { event: string; id: string; data: Record<string, unknown> },
    );
    expect(first.map((l) => l.event).sort()).toEqual(['authorization.activated', 'notification.received']);
    expect(tail.stdout()).not.toContain(accessToken);
    // The service goes away and comes back on the same port; meanwhile a cancel happens.
    await s.close();
    const again = await start(port);
    await notify(again, {
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken,
      reason: 'closed',
      result: OK,
    });
    clock.advance(2000);
    const all = (await tail.lines(4, 30_000)).map(
      (l) => JSON.parse(l) as { event: string; data: { data?: { reason?: string } } },
    );
    expect(
      all
        .slice(2)
        .map((l) => l.event)
        .sort(),
    ).toEqual(['authorization.canceled', 'notification.received']);
    expect(all.find((l) => l.event === 'authorization.canceled')?.data.data?.reason).toBe('closed');
    expect(tail.stderr()).toMatch(/reconnecting in 1 s/);
    expect(tail.stderr()).toMatch(/resuming where it stopped/);
    // nothing twice
    expect(new Set(tail.stdout().trim().split('\n')).size).toBe(4);
    tail.child.kill('SIGTERM');
    expect(await tail.exited()).toBe(0);
  }, 60_000);

  it.each([
    [['tail'], 2, /--service is required/],
    [['tail', '--service', 'ftp://x'], 2, /http\(s\) URL/],
    [['tail', '--service', 'http://127.0.0.1:1'], 2, /admin token is required/],
    [['tail', '--service', 'http://127.0.0.1:1', '--admin-token', 'short'], 2, /at least|32/],
    [
      ['tail', '--service', 'http://127.0.0.1:1', '--admin-token', ADMIN, '--types', 'nope'],
      2,
      /not an event type/,
    ],
    [
      ['tail', '--service', 'http://127.0.0.1:1', '--admin-token', ADMIN],
      1,
      /cannot reach http:\/\/127\.0\.0\.1:1/,
    ],
  ])('refuses %j at once (exit %i)', async (argv, code, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(code);
    expect(run.stderr).toMatch(message);
  });

  it('says the token was refused instead of retrying', async () => {
    const s = service ?? (await start());
    const run = await cli(['tail', '--service', s.url, '--admin-token', 'x'.repeat(40)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/401: a valid admin token is required/);
  });

  it.each([
    [
      {
        event: 'authorization.canceled',
        data: JSON.stringify({
          timestamp: '2026-12-02T10:00:00.000Z',
          data: {
            id: '0192f3c4-5b6a-7c01-8d2e-0123456789ab',
            previousStatus: 'ACTIVE',
            status: 'CANCELED',
            reason: 'user',
            notificationId: 'in-12345678',
          },
        }),
        id: undefined,
      },
      '2026-12-02 10:00:00.000  authorization.canceled  authorization …456789ab  ACTIVE → CANCELED  reason "user"  by notification …12345678',
    ],
    [
      {
        event: 'notification.received',
        data: JSON.stringify({
          id: 'in-abcdefgh',
          type: 'TOKEN_CANCELED',
          status: 'PROCESSED',
          outcome: 'TOMBSTONED',
          duplicates: 2,
          receivedAt: '2026-12-02T10:00:01.000Z',
          errors: [],
        }),
        id: undefined,
      },
      '2026-12-02 10:00:01.000  notification  TOKEN_CANCELED  …abcdefgh  PROCESSED  TOMBSTONED  duplicates 2',
    ],
  ])('prints a line a person can read for %j', (message, line) => {
    expect(tailLine(message)).toBe(line);
  });
});
