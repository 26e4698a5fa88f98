/**
 * The store contract for events and forwarding: events written with the change they describe, the feed
 * read from a position, destinations that start at the head, deliveries made once per event and leased
 * to one worker, failing runs that disable a destination, redelivery and pruning.
 */
import { beforeEach, expect, it } from 'vitest';
import type { DeliveryAttemptRecord, DestinationRecord, NewDestinationRow } from '../store/event-types.js';
import type { Store } from '../store/types.js';
import { ctx, inboxRow, uid } from './store-contract-fixtures.js';

const hash = () => uid('hash');

/** A destination row for the contract (its secret is an opaque sealed string to the store). */
function destinationRow(overrides: Partial<NewDestinationRow> = {}): NewDestinationRow {
  return {
    id: uid('dst'),
    url: 'http://127.0.0.1:9/events',
    description: null,
    types: null,
    secrets: [{ sealed: 'sealed-secret', createdAt: 1000, expiresAt: null }],
    source: 'api',
    createdAt: 1000,
    ...overrides,
  };
}

function attemptOf(
  deliveryId: string,
  worker: string,
  number: number,
  verdict: DeliveryAttemptRecord['verdict'],
  at: number,
): DeliveryAttemptRecord {
  return {
    id: uid('fat'),
    deliveryId,
    run: 1,
    number,
    startedAt: at,
    finishedAt: at + 3,
    httpStatus: verdict === 'DELIVERED' ? 204 : verdict === 'NOT_2XX' ? 500 : null,
    responseExcerpt: verdict === 'NOT_2XX' ? 'oops' : null,
    errorClass: verdict === 'TIMEOUT' ? 'TimeoutError' : null,
    verdict,
    worker,
  };
}

export function eventsContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
  });

  /** Creates an ACTIVE authorization through a TOKEN_CREATED and cancels it: two events. */
  async function activateAndCancel(now: number) {
    const tokenHash = hash();
    const context = { ...ctx(now), acceptUnknownAuthState: true };
    const lookup = { tokenHash };
    const created = await store.applyEvent(
      { lookup, timelineId: uid('tl'), now },
      { kind: 'TOKEN_CREATED', tokenHash, source: 'notification', userLoginIdMasked: 'a****@example.com' },
      context,
    );
    const canceled = await store.applyEvent(
      { lookup, timelineId: uid('tl'), now: now + 10 },
      { kind: 'TOKEN_CANCELED', tokenHash, reason: 'user closed it' },
      ctx(now + 10),
    );
    return { id: created.authorization?.id as string, tokenHash, created, canceled };
  }

  it('writes an event with each lifecycle change that moves an authorization, and none for notes', async () => {
    const start = await store.events.head();
    const { id, tokenHash } = await activateAndCancel(5_000_000);
    // canceling again and canceling an unknown token (a tombstone) change no authorization: no event
    await store.applyEvent(
      { lookup: { tokenHash }, timelineId: uid('tl'), now: 5_000_100 },
      { kind: 'TOKEN_CANCELED', tokenHash },
      ctx(5_000_100),
    );
    await store.applyEvent(
      { lookup: { tokenHash: hash() }, timelineId: uid('tl'), now: 5_000_200 },
      { kind: 'TOKEN_CANCELED', tokenHash: hash() },
      ctx(5_000_200),
    );
    const { items, next } = await store.events.feed({ after: start, limit: 100 });
    const mine = items.filter((e) => e.authorizationId === id);
    expect(mine.map((e) => e.type)).toEqual(['authorization.activated', 'authorization.canceled']);
    const [activated, canceled] = mine.map((e) => JSON.parse(e.payload));
    expect(activated).toMatchObject({
      type: 'authorization.activated',
      timestamp: new Date(5_000_000).toISOString(),
      data: { id, status: 'ACTIVE', previousStatus: null, userLoginId: 'a****@example.com', version: 0 },
    });
    expect(canceled).toMatchObject({
      type: 'authorization.canceled',
      data: { id, status: 'CANCELED', previousStatus: 'ACTIVE', reason: 'user closed it', version: 1 },
    });
    expect(JSON.stringify(mine)).not.toContain(tokenHash);
    expect(next).toBe(items[items.length - 1]?.position);
    expect(await store.events.get(mine[0]?.id as string)).toEqual(mine[0]);
    // reading on from the end finds nothing new
    expect((await store.events.feed({ after: next, limit: 100 })).items).toEqual([]);
  });

  it('writes no event when a batch fails, and the events of a batch in order', async () => {
    const start = await store.events.head();
    const tokenHash = hash();
    const context = { ...ctx(6_000_000), acceptUnknownAuthState: true };
    await expect(
      store.applyEvents([
        {
          input: { lookup: { tokenHash }, timelineId: uid('tl'), now: 6_000_000 },
          event: { kind: 'TOKEN_CREATED', tokenHash, source: 'notification' },
          ctx: context,
        },
        {
          input: {
            lookup: { tokenHash },
            inbox: { id: uid('missing'), owner: 'w' },
            timelineId: uid('tl'),
            now: 6_000_001,
          },
          event: { kind: 'TOKEN_CANCELED', tokenHash },
          ctx: ctx(6_000_001),
        },
      ]),
    ).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect((await store.events.feed({ after: start, limit: 100 })).items).toEqual([]);
    const results = await store.applyEvents([
      {
        input: { lookup: { tokenHash }, timelineId: uid('tl'), now: 6_000_010 },
        event: { kind: 'TOKEN_CREATED', tokenHash, source: 'notification' },
        ctx: context,
      },
      {
        input: { lookup: { tokenHash }, timelineId: uid('tl'), now: 6_000_011 },
        event: { kind: 'TOKEN_CANCELED', tokenHash, reason: 'r' },
        ctx: ctx(6_000_011),
      },
    ]);
    const id = results[0]?.authorization?.id;
    const mine = (await store.events.feed({ after: start, limit: 100 })).items.filter(
      (e) => e.authorizationId === id,
    );
    expect(mine.map((e) => [e.type, JSON.parse(e.payload).data.version])).toEqual([
      ['authorization.activated', 0],
      ['authorization.canceled', 1],
    ]);
  });

  it('writes notification.quarantined with a quarantined row, once, and reads the feed by type and page', async () => {
    const start = await store.events.head();
    const row = inboxRow({
      status: 'QUARANTINED',
      eventKey: `QUARANTINED:${uid('q')}`,
      type: 'TOKEN_CANCELED',
      violations: [{ path: 'accessToken', rule: 'required', message: 'accessToken is required' }],
      receivedAt: 7_000_000,
    });
    await store.insertInbox(row);
    await store.insertInbox({ ...row, id: uid('in') }); // a copy: counted, no second event
    await activateAndCancel(7_000_100);
    const quarantined = await store.events.feed({
      after: start,
      limit: 100,
      types: ['notification.quarantined'],
    });
    const mine = quarantined.items.filter((e) => e.inboxId === row.id);
    expect(mine).toHaveLength(1);
    expect(JSON.parse(mine[0]?.payload as string)).toEqual({
      type: 'notification.quarantined',
      timestamp: new Date(7_000_000).toISOString(),
      data: {
        notificationId: row.id,
        notifyType: 'TOKEN_CANCELED',
        receivedAt: new Date(7_000_000).toISOString(),
        violations: [{ path: 'accessToken', rule: 'required', message: 'accessToken is required' }],
      },
    });
    // pages of one: each page starts after the last position
    const first = await store.events.feed({ after: start, limit: 1 });
    const second = await store.events.feed({ after: first.next, limit: 1 });
    expect(first.items).toHaveLength(1);
    expect(second.items[0]?.position).not.toBe(first.items[0]?.position);
    const both = await store.events.feed({ after: start, limit: 2 });
    expect(both.items.map((e) => e.id)).toEqual([first.items[0]?.id, second.items[0]?.id]);
    await expect(store.events.feed({ after: 'not-a-cursor', limit: 1 })).rejects.toMatchObject({
      code: 'PARAM_ILLEGAL',
    });
  });

  it('starts a destination at the head and turns later events of its types into one delivery each', async () => {
    await activateAndCancel(8_000_000); // before the destination: never delivered to it
    const all = await store.events.createDestination(destinationRow({ createdAt: 8_000_050 }));
    const cancels = await store.events.createDestination(
      destinationRow({ types: ['authorization.canceled'], createdAt: 8_000_050 }),
    );
    expect(all).toMatchObject({ status: 'ACTIVE', failingSince: null, types: null, source: 'api' });
    expect(cancels.types).toEqual(['authorization.canceled']);
    const { id } = await activateAndCancel(8_000_100);
    expect(await store.events.fanOut(all.id, 100, 8_000_200)).toBe(2);
    expect(await store.events.fanOut(cancels.id, 100, 8_000_200)).toBe(1);
    // the position moved past everything read, delivered or not
    expect(await store.events.fanOut(all.id, 100, 8_000_300)).toBe(0);
    expect(await store.events.fanOut(cancels.id, 100, 8_000_300)).toBe(0);
    const page = await store.events.listDeliveries({ destinationId: cancels.id, limit: 10 });
    expect(page.items).toMatchObject([
      { eventType: 'authorization.canceled', status: 'PENDING', run: 1, attempts: 0 },
    ]);
    const event = await store.events.get(page.items[0]?.eventId as string);
    expect(event?.authorizationId).toBe(id);
    expect((await store.events.listDeliveries({ destinationId: all.id, limit: 10 })).items).toHaveLength(2);
    // a second creation of the same id (two processes configuring one destination) keeps the first
    const again = await store.events.createDestination({
      ...destinationRow(),
      id: all.id,
      url: 'http://elsewhere',
    });
    expect(again.url).toBe(all.url);
    await store.events.deleteDestination(all.id);
    await store.events.deleteDestination(cancels.id);
    expect(await store.events.getDestination(all.id)).toBeUndefined();
    expect((await store.events.listDeliveries({ destinationId: all.id, limit: 10 })).items).toEqual([]);
  });

  it('leases a delivery to one worker, logs attempts, and disables a destination failing for too long', async () => {
    const d = await store.events.createDestination(destinationRow({ createdAt: 9_000_000 }));
    await activateAndCancel(9_000_010);
    expect(await store.events.fanOut(d.id, 100, 9_000_020)).toBe(2);
    const claim = (owner: string, now: number) =>
      store.events.claimDeliveries({ now, limit: 10, leaseMs: 30_000, owner });
    const claimed = (await claim('A', 9_000_030)).filter((c) => c.destinationId === d.id);
    expect(claimed).toHaveLength(2);
    expect(claimed[0]).toMatchObject({
      status: 'DELIVERING',
      leaseOwner: 'A',
      url: d.url,
      secrets: d.secrets,
    });
    expect(JSON.parse(claimed[0]?.payload as string).type).toMatch(/^authorization\./);
    expect((await claim('B', 9_000_031)).filter((c) => c.destinationId === d.id)).toEqual([]);
    const [one, two] = claimed as [(typeof claimed)[0], (typeof claimed)[0]];
    const day = 86_400_000;
    // a worker that lost the lease writes nothing
    expect(
      await store.events.recordDeliveryAttempt(
        attemptOf(one.id, 'B', 1, 'NOT_2XX', 9_000_040),
        { status: 'DELIVERED' },
        9_000_043,
        5 * day,
      ),
    ).toEqual({ recorded: false, disabled: false });
    expect(
      await store.events.recordDeliveryAttempt(
        attemptOf(one.id, 'A', 1, 'NOT_2XX', 9_000_040),
        { status: 'PENDING', nextAttemptAt: 9_005_000 },
        9_000_043,
        5 * day,
      ),
    ).toEqual({ recorded: true, disabled: false });
    expect((await store.events.getDestination(d.id))?.failingSince).toBe(9_000_043);
    expect(await store.events.getDelivery(one.id)).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastHttpStatus: 500,
      lastVerdict: 'NOT_2XX',
      nextAttemptAt: 9_005_000,
    });
    // still failing five days later: the destination is disabled, its deliveries wait
    const later = 9_000_043 + 5 * day;
    const outcome = await store.events.recordDeliveryAttempt(
      attemptOf(two.id, 'A', 1, 'TIMEOUT', later - 3),
      { status: 'PENDING', nextAttemptAt: later + 5_000 },
      later,
      5 * day,
    );
    expect(outcome).toEqual({ recorded: true, disabled: true });
    const disabled = (await store.events.getDestination(d.id)) as DestinationRecord;
    expect(disabled.status).toBe('DISABLED');
    expect(disabled.disabledReason).toMatch(/5 days.*TIMEOUT/);
    expect((await claim('A', later + 10 * day)).filter((c) => c.destinationId === d.id)).toEqual([]);
    // re-enabled by hand: the failing run starts over, and a success ends it
    await store.events.updateDestination(d.id, { status: 'ACTIVE', disabledReason: null }, later + 1);
    expect((await store.events.getDestination(d.id))?.failingSince).toBeNull();
    const again = (await claim('C', later + 10_000)).filter((c) => c.destinationId === d.id);
    expect(again.map((c) => c.id).sort()).toEqual([one.id, two.id].sort());
    await store.events.recordDeliveryAttempt(
      attemptOf(one.id, 'C', 2, 'NOT_2XX', later + 10_001),
      { status: 'EXHAUSTED' },
      later + 10_004,
      5 * day,
    );
    await store.events.recordDeliveryAttempt(
      attemptOf(two.id, 'C', 2, 'DELIVERED', later + 10_001),
      { status: 'DELIVERED' },
      later + 10_004,
      5 * day,
    );
    expect((await store.events.getDestination(d.id))?.failingSince).toBeNull();
    expect(await store.events.getDelivery(two.id)).toMatchObject({
      status: 'DELIVERED',
      deliveredAt: later + 10_004,
    });
    expect(
      (await store.events.listDeliveryAttempts(one.id)).map((a) => [a.number, a.verdict, a.worker]),
    ).toEqual([
      [1, 'NOT_2XX', 'A'],
      [2, 'NOT_2XX', 'C'],
    ]);
    const counts = (await store.events.countDeliveries()).filter((c) => c.destinationId === d.id);
    expect(counts.sort((a, b) => a.status.localeCompare(b.status))).toEqual([
      { destinationId: d.id, status: 'DELIVERED', count: 1 },
      { destinationId: d.id, status: 'EXHAUSTED', count: 1 },
    ]);
    // redelivery by hand: one delivery, or every failed one since a time
    expect(await store.events.redeliver(two.id, later + 20_000)).toMatchObject({
      status: 'PENDING',
      run: 2,
      attempts: 0,
    });
    expect(await store.events.redeliverFailed(d.id, 0, later + 20_000)).toBe(1);
    expect(await store.events.getDelivery(one.id)).toMatchObject({
      status: 'PENDING',
      run: 2,
      nextAttemptAt: later + 20_000,
    });
    expect(await store.events.oldestUndelivered()).not.toBeNull();
    // a paused destination's deliveries are not claimed, and it makes no new ones
    await store.events.updateDestination(d.id, { status: 'PAUSED' }, later + 20_001);
    await activateAndCancel(later + 20_002);
    expect(await store.events.fanOut(d.id, 100, later + 20_003)).toBe(0);
    expect((await claim('A', later + 30_000)).filter((c) => c.destinationId === d.id)).toEqual([]);
    await store.events.updateDestination(d.id, { status: 'ACTIVE' }, later + 20_004);
    expect(await store.events.fanOut(d.id, 100, later + 20_005)).toBe(2);
    await store.events.deleteDestination(d.id);
  });

  it('prunes old events with nothing left to deliver, and keeps those still waiting', async () => {
    const d = await store.events.createDestination(destinationRow({ createdAt: 10_000_000 }));
    const { id } = await activateAndCancel(10_000_010);
    await store.events.fanOut(d.id, 100, 10_000_020);
    const claimed = (
      await store.events.claimDeliveries({ now: 10_000_030, limit: 10, leaseMs: 60_000, owner: 'A' })
    ).filter((c) => c.destinationId === d.id);
    expect(claimed).toHaveLength(2);
    const [waiting, done] = claimed as [(typeof claimed)[0], (typeof claimed)[0]];
    await store.events.recordDeliveryAttempt(
      attemptOf(waiting.id, 'A', 1, 'NOT_2XX', 10_000_030),
      { status: 'PENDING', nextAttemptAt: 10_001_000 },
      10_000_033,
      86_400_000,
    );
    await store.events.recordDeliveryAttempt(
      attemptOf(done.id, 'A', 1, 'DELIVERED', 10_000_030),
      { status: 'DELIVERED' },
      10_000_033,
      86_400_000,
    );
    const start = '0.0';
    const mineBefore = (await store.events.feed({ after: start, limit: 10_000 })).items.filter(
      (e) => e.authorizationId === id,
    );
    expect(mineBefore).toHaveLength(2);
    let pruned = 0;
    for (let n = -1; n !== 0; ) {
      n = await store.events.prune(10_000_030, 500);
      pruned += n;
    }
    expect(pruned).toBeGreaterThan(0);
    const left = (await store.events.feed({ after: start, limit: 10_000 })).items.filter(
      (e) => e.authorizationId === id,
    );
    expect(left.map((e) => e.id)).toEqual([waiting.eventId]);
    expect(await store.events.getDelivery(done.id)).toBeUndefined();
    expect(await store.events.getDelivery(waiting.id)).toMatchObject({ status: 'PENDING' });
    await store.events.deleteDestination(d.id);
  });
}
