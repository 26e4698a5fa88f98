import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/events/standard-webhooks.js';
import { ManualClock } from '../../src/protocol/clock.js';
import { FORWARD_RETRY_DELAYS_MS, retryDelay } from '../../src/sender/forward-schedule.js';
import { createForwarder, type ForwarderOptions } from '../../src/sender/forwarder.js';
import type { DestinationSecret } from '../../src/store/event-types.js';
import type { Store } from '../../src/store/types.js';
import { createMemoryStore } from '../../src/testing/memory-store.js';
import { type EventEndpoint, eventEndpoint, type SeenRequest } from '../helpers/event-endpoint.js';
import { recordingLogger } from '../helpers/receiver.js';

const DAY = 86_400_000;
let seq = 0;

/** Moves an authorization to ACTIVE and then CANCELED: two events, in the store's feed. */
async function activateAndCancel(store: Store, now: number): Promise<string> {
  const tokenHash = `hash-${seq++}`;
  const created = await store.applyEvent(
    { lookup: { tokenHash }, timelineId: `tl-${seq++}`, now },
    { kind: 'TOKEN_CREATED', tokenHash, source: 'notification' },
    { now, newId: `au-${seq++}`, inboxId: null, acceptUnknownAuthState: true },
  );
  await store.applyEvent(
    { lookup: { tokenHash }, timelineId: `tl-${seq++}`, now: now + 1 },
    { kind: 'TOKEN_CANCELED', tokenHash, reason: 'closed in the wallet' },
    { now: now + 1, newId: `au-${seq++}`, inboxId: null, acceptUnknownAuthState: false },
  );
  return created.authorization?.id as string;
}

/** Secrets are "sealed" reversibly here; the service seals them with AES-GCM. */
const seal = (secret: string) => `sealed:${secret}`;
const openSecret = async (sealed: string) => sealed.slice('sealed:'.length);

describe('forwarding events to a destination', () => {
  let endpoint: EventEndpoint;
  let store: Store;
  let clock: ManualClock;
  let secret: string;
  beforeEach(async () => {
    endpoint = await eventEndpoint();
    store = createMemoryStore();
    // Standard Webhooks verifiers check the timestamp against their own clock: start at the real time.
    clock = new ManualClock(Date.now());
    secret = generateWebhookSecret();
  });
  afterEach(async () => {
    await endpoint.close();
    await store.close();
  });

  async function destination(
    secrets: DestinationSecret[] = [{ sealed: seal(secret), createdAt: clock.now(), expiresAt: null }],
    types: string[] | null = null,
  ) {
    return store.events.createDestination({
      id: `dst-${seq++}`,
      url: endpoint.url,
      description: null,
      types,
      secrets,
      source: 'api',
      createdAt: clock.now(),
    });
  }

  function forwarder(overrides: Partial<ForwarderOptions> = {}) {
    return createForwarder({ store, openSecret, clock, random: () => 0.5, timeoutMs: 2000, ...overrides });
  }

  it('delivers each event signed so that the standardwebhooks library verifies it', async () => {
    const d = await destination();
    const id = await activateAndCancel(store, clock.now());
    const f = forwarder();
    expect(await f.runOnce()).toBe(2);
    const seen = await endpoint.received(2);
    const wh = new Webhook(secret);
    const events = seen.map(
      (s) => wh.verify(s.body, s.headers as Record<string, string>) as { type: string; data: { id: string } },
    );
    expect(events.map((e) => e.type).sort()).toEqual(['authorization.activated', 'authorization.canceled']);
    expect(events.every((e) => e.data.id === id)).toBe(true);
    for (const s of seen) {
      expect(s.headers['content-type']).toBe('application/json');
      expect(await store.events.get(s.headers['webhook-id'] as string)).toBeDefined();
      expect(s.headers['webhook-timestamp']).toBe(String(Math.floor(clock.now() / 1000)));
    }
    const deliveries = (await store.events.listDeliveries({ destinationId: d.id, limit: 10 })).items;
    expect(deliveries.map((x) => x.status)).toEqual(['DELIVERED', 'DELIVERED']);
    // a body changed on the way does not verify
    expect(() => wh.verify(`${seen[0]?.body} `, seen[0]?.headers as Record<string, string>)).toThrow();
    await f.close();
  });

  it('retries a failing endpoint on the schedule with the same webhook-id, then delivers', async () => {
    const d = await destination(undefined, ['authorization.canceled']);
    await activateAndCancel(store, clock.now());
    endpoint.plan.push(500, 'redirect', 503);
    const f = forwarder({ timeScale: 100 });
    const attempts: string[] = [];
    for (let i = 0; i < 4; i++) {
      await f.runOnce();
      const [delivery] = (await store.events.listDeliveries({ destinationId: d.id, limit: 1 })).items;
      attempts.push(`${delivery?.status}:${delivery?.lastVerdict}`);
      // not due before its wait is over
      expect(await f.runOnce()).toBe(0);
      clock.advance((FORWARD_RETRY_DELAYS_MS[i + 1] ?? 0) / 100 + 1);
    }
    expect(attempts).toEqual([
      'PENDING:NOT_2XX',
      'PENDING:REDIRECT_REFUSED',
      'PENDING:NOT_2XX',
      'DELIVERED:DELIVERED',
    ]);
    const ids = new Set(endpoint.seen.map((s) => s.headers['webhook-id']));
    expect(ids.size).toBe(1);
    expect(endpoint.seen.map((s) => s.path)).not.toContain('/elsewhere');
    const [delivery] = (await store.events.listDeliveries({ destinationId: d.id, limit: 1 })).items;
    const log = await store.events.listDeliveryAttempts(delivery?.id as string);
    expect(log.map((a) => [a.number, a.httpStatus, a.verdict])).toEqual([
      [1, 500, 'NOT_2XX'],
      [2, 302, 'REDIRECT_REFUSED'],
      [3, 503, 'NOT_2XX'],
      [4, 204, 'DELIVERED'],
    ]);
    expect(log[0]?.responseExcerpt).toBe('failed with 500');
    // the waits between attempts were the schedule's (scaled)
    expect((log[1]?.startedAt ?? 0) - (log[0]?.finishedAt ?? 0)).toBeGreaterThanOrEqual(50);
    await f.close();
  });

  it('marks a delivery EXHAUSTED after the eighth failure, and a redelivery by hand delivers it', async () => {
    const d = await destination(undefined, ['authorization.canceled']);
    await activateAndCancel(store, clock.now());
    endpoint.plan.push(...Array.from({ length: 8 }, () => 500));
    const { seen, logger } = recordingLogger();
    const f = forwarder({ timeScale: 10_000, logger });
    for (let i = 0; i < 8; i++) {
      expect(await f.runOnce()).toBe(1);
      clock.advance((2 * 3600_000) / 1000);
    }
    const [delivery] = (await store.events.listDeliveries({ destinationId: d.id, limit: 1 })).items;
    expect(delivery).toMatchObject({ status: 'EXHAUSTED', attempts: 8, nextAttemptAt: null });
    expect(await f.runOnce()).toBe(0);
    expect(seen.error.some((m) => /EXHAUSTED/.test(m))).toBe(true);
    await store.events.redeliver(delivery?.id as string, clock.now());
    expect(await f.runOnce()).toBe(1);
    expect(await store.events.getDelivery(delivery?.id as string)).toMatchObject({
      status: 'DELIVERED',
      run: 2,
      attempts: 1,
    });
    expect(new Set(endpoint.seen.map((s) => s.headers['webhook-id'])).size).toBe(1);
    await f.close();
  });

  it('signs with both secrets while a rotated one overlaps, then with the new one only', async () => {
    const old = generateWebhookSecret();
    await destination([
      { sealed: seal(old), createdAt: clock.now() - 1000, expiresAt: clock.now() + 60_000 },
      { sealed: seal(secret), createdAt: clock.now(), expiresAt: null },
    ]);
    await activateAndCancel(store, clock.now());
    const f = forwarder();
    await f.runOnce();
    const during = (await endpoint.received(1))[0] as SeenRequest;
    expect(String(during.headers['webhook-signature']).split(' ')).toHaveLength(2);
    for (const s of [old, secret])
      expect(() =>
        new Webhook(s).verify(during.body, during.headers as Record<string, string>),
      ).not.toThrow();
    clock.advance(60_001);
    await activateAndCancel(store, clock.now());
    await f.runOnce();
    const after = endpoint.seen[endpoint.seen.length - 1] as SeenRequest;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(() =>
      new Webhook(secret).verify(after.body, after.headers as Record<string, string>),
    ).not.toThrow();
    expect(() => new Webhook(old).verify(after.body, after.headers as Record<string, string>)).toThrow(
      /No matching signature/,
    );
    await f.close();
  });

  it('gives up on an attempt at the timeout and disables a destination that fails for days', async () => {
    const d = await destination(undefined, ['authorization.canceled']);
    endpoint.plan.push('hang', ...Array.from({ length: 20 }, () => 500));
    const { seen, logger } = recordingLogger();
    const f = forwarder({ timeoutMs: 200, logger, disableAfterMs: 5 * DAY });
    await activateAndCancel(store, clock.now());
    await f.runOnce();
    const [first] = (await store.events.listDeliveries({ destinationId: d.id, limit: 1 })).items;
    expect(first?.lastVerdict).toBe('TIMEOUT');
    // one failing event a day: after five days of nothing but failures the destination is disabled
    for (let day = 0; day < 6 && (await store.events.getDestination(d.id))?.status === 'ACTIVE'; day++) {
      clock.advance(DAY);
      await activateAndCancel(store, clock.now());
      await f.runOnce();
    }
    const disabled = await store.events.getDestination(d.id);
    expect(disabled?.status).toBe('DISABLED');
    expect(disabled?.disabledReason).toMatch(/failed for 5 days/);
    expect(seen.error.some((m) => /DISABLED/.test(m))).toBe(true);
    const before = endpoint.seen.length;
    clock.advance(DAY);
    await activateAndCancel(store, clock.now());
    expect(await f.runOnce()).toBe(0);
    expect(endpoint.seen.length).toBe(before);
    await f.close();
  });
});

describe('the forwarding schedule', () => {
  it.each([
    [1, 0.5, 5_000],
    [1, 0, 4_500],
    [1, 1, 5_500],
    [7, 0.5, 36_000_000],
    [8, 0.5, undefined],
  ])('after attempt %i with random %d waits %s ms', (number, random, expected) => {
    expect(retryDelay(number, FORWARD_RETRY_DELAYS_MS, 0.1, () => random)).toBe(expected);
  });
});
