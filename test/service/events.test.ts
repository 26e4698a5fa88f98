import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readSse, type SseMessage } from '../../src/cli/sse.js';
import { generateWebhookSecret } from '../../src/events/standard-webhooks.js';
import { ManualClock } from '../../src/protocol/clock.js';
import type { RunningService } from '../../src/service/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { type EventEndpoint, eventEndpoint } from '../helpers/event-endpoint.js';
import { OK, signAsFixtureAlipay } from '../helpers/receiver.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'admin-token-for-tests-0123456789';

describe('the event feed, stream and destinations of the service', () => {
  let service: RunningService;
  let endpoint: EventEndpoint;
  // Standard Webhooks verifiers read their own clock: this one starts at the real time.
  const clock = new ManualClock(Date.now());
  const secret = generateWebhookSecret();
  beforeAll(async () => {
    endpoint = await eventEndpoint();
    service = await startTestService({
      store: await createSqliteStore({ path: ':memory:' }),
      adminToken: ADMIN,
      clock,
      acceptUnknownAuthState: true,
      streamPollMs: 20,
      forwarding: {
        targets: [{ url: endpoint.url, secret, types: ['authorization.canceled'] }],
        deliver: false,
      },
    });
  });
  afterAll(async () => {
    await service?.close();
    await endpoint?.close();
  });

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${service.url}${path}`, {
      ...init,
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });
  const json = async <T = Record<string, unknown>>(r: Response | Promise<Response>) =>
    (await (await r).json()) as T;

  async function notify(notification: Record<string, unknown>) {
    const s = await signAsFixtureAlipay(notification, { now: clock.now() });
    const r = await fetch(`${service.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body });
    expect(r.status).toBe(200);
  }

  /** A token created and then canceled, processed: activated and canceled events. */
  async function createAndCancel(authState: string) {
    const accessToken = `TOK-${Math.random().toString(36).slice(2)}`;
    await notify({
      authorizationNotifyType: 'TOKEN_CREATED',
      accessToken,
      authState,
      userLoginId: 'alice@example.com',
      result: OK,
    });
    await service.receiver.drain();
    clock.advance(1000);
    await notify({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken,
      reason: 'user closed it',
      result: OK,
    });
    await service.receiver.drain();
    return accessToken;
  }

  it('forwards an event to a --forward-to destination, verified with the standardwebhooks library', async () => {
    const token = await createAndCancel('st-forward');
    expect(await service.forwarding.forwarder.runOnce()).toBe(1);
    const [got] = await endpoint.received(1);
    const event = new Webhook(secret).verify(got?.body as string, got?.headers as Record<string, string>) as {
      type: string;
      data: Record<string, unknown>;
    };
    expect(event).toMatchObject({
      type: 'authorization.canceled',
      data: {
        status: 'CANCELED',
        previousStatus: 'ACTIVE',
        authState: 'st-forward',
        userLoginId: 'a****@example.com',
        reason: 'user closed it',
      },
    });
    expect(got?.body).not.toContain(token);
    const destinations = await json<{ items: { id: string; source: string; url: string }[] }>(
      api('/api/v1/destinations'),
    );
    expect(destinations.items).toMatchObject([{ source: 'config', url: endpoint.url }]);
    const deliveries = await json<{ items: { id: string; status: string }[] }>(
      api(`/api/v1/destinations/${destinations.items[0]?.id}/deliveries`),
    );
    expect(deliveries.items).toMatchObject([{ status: 'DELIVERED' }]);
    const detail = await json(api(`/api/v1/deliveries/${deliveries.items[0]?.id}`));
    expect(detail).toMatchObject({ attempts: [{ number: 1, httpStatus: 204, verdict: 'DELIVERED' }] });
  });

  it('answers the pull feed in order from a cursor, by type, and refuses a made-up cursor or type', async () => {
    const start = await json<{ nextCursor: string }>(api('/api/v1/events?limit=500'));
    let cursor = start.nextCursor;
    // everything up to now, then nothing new
    for (;;) {
      const page = await json<{ items: unknown[]; nextCursor: string }>(
        api(`/api/v1/events?after=${cursor}&limit=500`),
      );
      cursor = page.nextCursor;
      if (page.items.length === 0) break;
    }
    await createAndCancel('st-feed');
    const page = await json<{
      items: { id: string; type: string; data: { authState: string; version: number } }[];
      nextCursor: string;
    }>(api(`/api/v1/events?after=${cursor}`));
    expect(page.items.map((e) => [e.type, e.data.authState])).toEqual([
      ['authorization.activated', 'st-feed'],
      ['authorization.canceled', 'st-feed'],
    ]);
    expect(page.items[1]?.data.version).toBeGreaterThan(page.items[0]?.data.version as number);
    const cancels = await json<{ items: { type: string }[] }>(
      api(`/api/v1/events?after=${cursor}&type=authorization.canceled`),
    );
    expect(cancels.items.map((e) => e.type)).toEqual(['authorization.canceled']);
    expect((await json<{ items: unknown[] }>(api(`/api/v1/events?after=${page.nextCursor}`))).items).toEqual(
      [],
    );
    for (const [query, code] of [
      ['after=abc', 'PARAM_ILLEGAL'],
      ['type=authorization.paused', 'PARAM_ILLEGAL'],
      ['limit=0', 'PARAM_ILLEGAL'],
    ]) {
      const r = await api(`/api/v1/events?${query}`);
      expect(r.status).toBe(400);
      expect(await r.json()).toMatchObject({ error: { code } });
    }
    expect((await fetch(`${service.url}/api/v1/events`)).status).toBe(401);
  });

  it('streams events as they happen and resumes after a reconnect with Last-Event-ID', async () => {
    const open = async (headers: Record<string, string> = {}, query = '') => {
      const controller = new AbortController();
      const r = await fetch(`${service.url}/api/v1/events/stream${query}`, {
        headers: { authorization: `Bearer ${ADMIN}`, ...headers },
        signal: controller.signal,
      });
      expect(r.headers.get('content-type')).toMatch(/^text\/event-stream/);
      return { messages: readSse(r.body as ReadableStream<Uint8Array>), close: () => controller.abort() };
    };
    const take = async (messages: AsyncGenerator<SseMessage>, n: number) => {
      const out: SseMessage[] = [];
      for await (const m of messages) {
        out.push(m);
        if (out.length === n) break;
      }
      return out;
    };
    const first = await open({}, '?include=notifications');
    await createAndCancel('st-stream-1');
    clock.advance(2000); // notifications are followed a moment behind the clock
    const seen = await take(first.messages, 4);
    expect(seen.map((m) => m.event).sort()).toEqual(
      [
        'authorization.activated',
        'authorization.canceled',
        'notification.received',
        'notification.received',
      ].sort(),
    );
    const received = seen.filter((m) => m.event === 'notification.received').map((m) => JSON.parse(m.data));
    expect(received.map((n) => n.type).sort()).toEqual(['TOKEN_CANCELED', 'TOKEN_CREATED']);
    expect(JSON.stringify(received)).not.toMatch(/TOK-/);
    const lastId = seen[seen.length - 1]?.id as string;
    first.close();
    // while nobody listens
    await createAndCancel('st-stream-2');
    clock.advance(2000);
    const second = await open({ 'last-event-id': lastId }, '?include=notifications');
    const resumed = await take(second.messages, 4);
    second.close();
    const states = resumed
      .filter((m) => m.event.startsWith('authorization.'))
      .map((m) => JSON.parse(m.data).data.authState);
    expect(states).toEqual(['st-stream-2', 'st-stream-2']);
    const bad = await api('/api/v1/events/stream', { headers: { 'last-event-id': 'nonsense' } });
    expect(bad.status).toBe(400);
  });

  it('manages destinations: secret shown once, rotation with overlap, pause and resume, refusals', async () => {
    const created = await api('/api/v1/destinations', {
      method: 'POST',
      body: JSON.stringify({ url: endpoint.url, types: ['authorization.activated'] }),
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const d = (await created.json()) as { id: string; secret: string; status: string };
    expect(d.secret).toMatch(/^whsec_/);
    const listed = await json<{ items: Record<string, unknown>[] }>(api('/api/v1/destinations'));
    expect(JSON.stringify(listed)).not.toContain(d.secret);
    const rotated = await json<{ secret: string; secrets: number }>(
      api(`/api/v1/destinations/${d.id}/rotate-secret`, {
        method: 'POST',
        body: JSON.stringify({ overlapSeconds: 3600 }),
      }),
    );
    expect(rotated.secrets).toBe(2);
    const shown = await json<{ secrets: { secret: string; expiresAt: string | null }[] }>(
      api(`/api/v1/destinations/${d.id}/secret`),
    );
    expect(shown.secrets.map((s) => s.secret)).toEqual([rotated.secret, d.secret]);
    expect(Date.parse(shown.secrets[1]?.expiresAt as string)).toBe(clock.now() + 3600_000);
    expect(await json(api(`/api/v1/destinations/${d.id}/pause`, { method: 'POST' }))).toMatchObject({
      status: 'PAUSED',
    });
    expect(await json(api(`/api/v1/destinations/${d.id}/resume`, { method: 'POST' }))).toMatchObject({
      status: 'ACTIVE',
    });
    for (const [body, pattern] of [
      [{ url: 'ftp://example.com/x' }, /http or https/],
      [{ url: 'not a url' }, /not a URL/],
      [{ url: endpoint.url, types: ['authorization.paused'] }, /types/],
      [{ url: endpoint.url, secret: 'whsec_short' }, /bytes|base64/],
      [{ url: endpoint.url, extra: 1 }, /extra|Unrecognized/],
    ] as const) {
      const r = await api('/api/v1/destinations', { method: 'POST', body: JSON.stringify(body) });
      const answer = (await r.json()) as { error: { code: string; message: string } };
      expect(r.status).toBe(400);
      expect(answer.error.code).toBe('PARAM_ILLEGAL');
      expect(answer.error.message).toMatch(pattern);
    }
    expect((await api('/api/v1/destinations/nope/pause', { method: 'POST' })).status).toBe(404);
    expect((await api(`/api/v1/destinations/${d.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/api/v1/destinations/${d.id}`)).status).toBe(404);
  });

  it('long-polls an authorization until it leaves PENDING', async () => {
    const authState = 'st-long-poll';
    const started = Date.now();
    const waiting = json<{ items: { status: string }[] }>(
      api(`/api/v1/authorizations?authState=${authState}&wait=10`),
    );
    await new Promise((r) => setTimeout(r, 300));
    await notify({
      authorizationNotifyType: 'TOKEN_CREATED',
      accessToken: `TOK-lp-${Math.random()}`,
      authState,
      result: OK,
    });
    await service.receiver.drain();
    const answer = await waiting;
    expect(answer.items).toMatchObject([{ status: 'ACTIVE' }]);
    expect(Date.now() - started).toBeLessThan(5000);
    const bad = await api('/api/v1/authorizations?wait=5');
    expect(bad.status).toBe(400);
  });

  it('prunes events past the retention, keeping those a destination still owes', async () => {
    const clock2 = new ManualClock(Date.now());
    const pruning = await startTestService({
      store: await createSqliteStore({ path: ':memory:' }),
      adminToken: ADMIN,
      clock: clock2,
      acceptUnknownAuthState: true,
      forwarding: { retentionMs: 3_600_000, deliver: false },
    });
    try {
      const s = await signAsFixtureAlipay(
        { authorizationNotifyType: 'TOKEN_CREATED', accessToken: 'TOK-old', authState: 'st-old', result: OK },
        { now: clock2.now() },
      );
      await fetch(`${pruning.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body });
      await pruning.receiver.drain();
      expect((await pruning.receiver.store.events.feed({ limit: 10 })).items).toHaveLength(1);
      clock2.advance(30 * 60_000);
      expect(await pruning.forwarding.prune()).toBe(0); // not old enough
      clock2.advance(31 * 60_000);
      expect(await pruning.forwarding.prune()).toBe(1);
      expect((await pruning.receiver.store.events.feed({ limit: 10 })).items).toEqual([]);
      // the notification itself (its dedupe key) stays
      expect((await pruning.receiver.store.listInbox({ limit: 10 })).items).toHaveLength(1);
    } finally {
      await pruning.close();
    }
  });
});
