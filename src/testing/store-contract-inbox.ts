/** The store contract for the inbox: durable inserts, dedupe, leases, retries, quarantine, pages. */
import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../store/types.js';
import { ctx, drainAll, inboxRow, uid } from './store-contract-fixtures.js';

export function inboxContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
  });

  it('stores a notification once and counts duplicates of its event key', async () => {
    const row = inboxRow();
    expect(await store.insertInbox(row)).toEqual({ outcome: 'inserted', id: row.id, duplicates: 0 });
    const again = await store.insertInbox({ ...row, id: uid('other'), receivedAt: 5000 });
    expect(again).toEqual({ outcome: 'duplicate', id: row.id, duplicates: 1 });
    expect(await store.hasData()).toBe(true);
    const stored = await store.getInbox(row.id);
    expect(stored).toMatchObject({
      status: 'PENDING',
      duplicates: 1,
      lastDuplicateAt: 5000,
      attempts: 0,
      applied: false,
    });
    expect(Array.from(stored?.rawBody ?? [])).toEqual([0, 255, 1, 128, 10, 13]);
    expect(stored?.headers.Signature).toBe('algorithm=RSA256,signature=x');
  });

  it('stores 300 concurrent distinct notifications and answers each', async () => {
    const rows = Array.from({ length: 300 }, () => inboxRow({ receivedAt: 1500 }));
    const results = await Promise.all(rows.map((r) => store.insertInbox(r)));
    expect(results.every((r) => r.outcome === 'inserted')).toBe(true);
    for (const r of rows.slice(0, 5)) expect(await store.getInbox(r.id)).toBeDefined();
  });

  it('stores copies of one notification sent at the same moment once, and counts the others', async () => {
    const row = inboxRow({ receivedAt: 1600 });
    const others = Array.from({ length: 20 }, () => inboxRow({ receivedAt: 1600 }));
    const copies = Array.from({ length: 4 }, () => ({ ...row, id: uid('copy') }));
    const results = await Promise.all([row, ...others, ...copies].map((r) => store.insertInbox(r)));
    const mine = [results[0], ...results.slice(21)];
    expect(mine.filter((r) => r?.outcome === 'inserted')).toHaveLength(1);
    expect(new Set(mine.map((r) => r?.id))).toEqual(new Set([row.id]));
    expect([...mine.map((r) => r?.duplicates)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(results.slice(1, 21).map((r) => r.outcome)).toEqual(others.map(() => 'inserted'));
    expect((await store.getInbox(row.id))?.duplicates).toBe(4);
  });

  it('counts a burst of copies of many stored notifications, each copy once, with the stored id', async () => {
    const originals = Array.from({ length: 120 }, () => inboxRow());
    await Promise.all(originals.map((row) => store.insertInbox(row)));
    const copies = originals.map((row) => ({ ...row, id: uid('copy'), receivedAt: row.receivedAt + 5 }));
    const first = await Promise.all(copies.map((row) => store.insertInbox(row)));
    expect(first).toEqual(originals.map((row) => ({ outcome: 'duplicate', id: row.id, duplicates: 1 })));
    const second = await Promise.all(copies.map((row) => store.insertInbox({ ...row, id: uid('copy') })));
    expect(second.map((r) => r.duplicates)).toEqual(originals.map(() => 2));
    expect(await store.getInbox(originals[7]?.id as string)).toMatchObject({
      duplicates: 2,
      lastDuplicateAt: (originals[7]?.receivedAt as number) + 5,
    });
  });

  it('leases due rows to one worker, and again after the lease expires', async () => {
    // Fresh time range far in the future so earlier tests' rows are due too; drain them first.
    const T = 10_000_000;
    await drainAll(store, T);
    const due = inboxRow({ receivedAt: T });
    const later = inboxRow({ receivedAt: T + 60_000 });
    await store.insertInbox(due);
    await store.insertInbox(later);
    const a = await store.claimInbox({ now: T + 1, limit: 10, leaseMs: 30_000, owner: 'A' });
    expect(a.map((r) => r.id)).toEqual([due.id]);
    expect(a[0]).toMatchObject({ status: 'PROCESSING', attempts: 1, leaseOwner: 'A' });
    expect(await store.claimInbox({ now: T + 2, limit: 10, leaseMs: 30_000, owner: 'B' })).toEqual([]);
    expect(await store.finishInbox(due.id, 'B', { status: 'PROCESSED', now: T + 3 })).toBe(false);
    const b = await store.claimInbox({ now: T + 40_000, limit: 10, leaseMs: 30_000, owner: 'B' });
    expect(b.map((r) => r.id)).toEqual([due.id]);
    expect(b[0]?.attempts).toBe(2);
    expect(await store.finishInbox(due.id, 'A', { status: 'PROCESSED', now: T + 40_001 })).toBe(false);
    expect(await store.finishInbox(due.id, 'B', { status: 'PROCESSED', now: T + 40_002 })).toBe(true);
    expect(await store.getInbox(due.id)).toMatchObject({
      status: 'PROCESSED',
      processedAt: T + 40_002,
      leaseOwner: null,
    });
    const c = await store.claimInbox({ now: T + 60_000, limit: 10, leaseMs: 30_000, owner: 'C' });
    expect(c.map((r) => r.id)).toEqual([later.id]);
  });

  it('renews only the leases the owner still holds, and a renewed row is not claimed by others', async () => {
    const T = 15_000_000;
    await drainAll(store, T);
    const rows = [inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T })];
    for (const r of rows) await store.insertInbox(r);
    const ids = rows.map((r) => r.id);
    await store.claimInbox({ now: T, limit: 10, leaseMs: 1000, owner: 'A' });
    expect(await store.renewInboxLeases(ids, 'B', T + 9000)).toEqual([]); // not B's
    expect([...(await store.renewInboxLeases(ids, 'A', T + 9000))].sort()).toEqual([...ids].sort());
    // past the first lease, before the renewed one: nobody else gets them
    expect(await store.claimInbox({ now: T + 5000, limit: 10, leaseMs: 1000, owner: 'B' })).toEqual([]);
    expect(await store.finishInbox(ids[0] as string, 'A', { status: 'PROCESSED', now: T + 5001 })).toBe(true);
    // finished rows are no longer leased, so only the other is renewed
    expect(await store.renewInboxLeases(ids, 'A', T + 20_000)).toEqual([ids[1]]);
    expect(await store.renewInboxLeases([], 'A', T + 20_000)).toEqual([]);
  });

  it('never leases one row to two concurrent claimers', async () => {
    const T = 20_000_000;
    await drainAll(store, T);
    const rows = Array.from({ length: 60 }, () => inboxRow({ receivedAt: T }));
    await Promise.all(rows.map((r) => store.insertInbox(r)));
    const claims = await Promise.all(
      ['w1', 'w2', 'w3', 'w4'].map((owner) =>
        store.claimInbox({ now: T + 1, limit: 25, leaseMs: 60_000, owner }),
      ),
    );
    const ids = claims.flat().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBe(60);
  });

  it('schedules a retry and fails for good when told to', async () => {
    const T = 30_000_000;
    await drainAll(store, T);
    const row = inboxRow({ receivedAt: T });
    await store.insertInbox(row);
    await store.claimInbox({ now: T, limit: 1, leaseMs: 1000, owner: 'A' });
    expect(
      await store.finishInbox(row.id, 'A', {
        status: 'PENDING',
        now: T + 1,
        nextAttemptAt: T + 5000,
        error: 'boom',
      }),
    ).toBe(true);
    expect(await store.claimInbox({ now: T + 4999, limit: 5, leaseMs: 1000, owner: 'A' })).toEqual([]);
    const [again] = await store.claimInbox({ now: T + 5000, limit: 5, leaseMs: 1000, owner: 'A' });
    expect(again).toMatchObject({ id: row.id, attempts: 2, status: 'PROCESSING', leaseOwner: 'A' });
    expect(await store.getInbox(row.id)).toMatchObject({ attempts: 2, lastError: 'boom' });
    await store.finishInbox(row.id, 'A', { status: 'FAILED', now: T + 5001, error: 'gave up' });
    expect(await store.getInbox(row.id)).toMatchObject({ status: 'FAILED', lastError: 'gave up' });
    // every failed attempt is kept, not only the last error; a finish by a worker without the lease logs nothing
    expect(await store.finishInbox(row.id, 'B', { status: 'FAILED', now: T + 5002, error: 'not mine' })).toBe(
      false,
    );
    expect(
      (await store.listInboxAttempts(row.id)).map((a) => [a.attempt, a.worker, a.outcome, a.error, a.at]),
    ).toEqual([
      [1, 'A', 'RETRY', 'boom', T + 1],
      [2, 'A', 'FAILED', 'gave up', T + 5001],
    ]);
    const requeued = await store.requeueInbox(row.id, T + 6000);
    expect(requeued).toMatchObject({ status: 'PENDING', attempts: 0, nextAttemptAt: T + 6000 });
    expect(await store.requeueInbox(row.id, T + 6001)).toBeUndefined();
  });

  it('replays a processed row: queued again, still applied with its outcome, and only when PROCESSED', async () => {
    const T = 35_000_000;
    await drainAll(store, T);
    const row = inboxRow({ receivedAt: T });
    await store.insertInbox(row);
    expect(await store.replayInbox(row.id, T + 1)).toBeUndefined(); // PENDING: nothing to replay
    const hash = uid('replay');
    await store.claimInbox({ now: T, limit: 5, leaseMs: 1000, owner: 'A' });
    await store.applyEvents([
      {
        input: {
          lookup: { tokenHash: hash },
          inbox: { id: row.id, owner: 'A' },
          timelineId: uid('ev'),
          now: T + 2,
        },
        event: { kind: 'TOKEN_CANCELED', tokenHash: hash },
        ctx: { ...ctx(T + 2), inboxId: row.id },
        finish: { owner: 'A' },
      },
    ]);
    const replayed = await store.replayInbox(row.id, T + 10);
    expect(replayed).toMatchObject({
      status: 'PENDING',
      attempts: 0,
      nextAttemptAt: T + 10,
      processedAt: null,
      applied: true,
      outcome: 'TOMBSTONED',
    });
    const [again] = await store.claimInbox({ now: T + 10, limit: 5, leaseMs: 1000, owner: 'B' });
    expect(again).toMatchObject({ id: row.id, applied: true, attempts: 1 });
    expect(await store.replayInbox(row.id, T + 11)).toBeUndefined(); // PROCESSING now
  });

  it('counts recent notifications per time bucket and status, oldest first', async () => {
    const T = 36_000_000_000; // far from every other test's rows
    const rows = [
      inboxRow({ receivedAt: T + 1_000 }),
      inboxRow({ receivedAt: T + 59_999 }),
      inboxRow({ receivedAt: T + 60_000 }),
      inboxRow({ receivedAt: T + 61_000, status: 'QUARANTINED', eventKey: `QUARANTINED:${uid('q')}` }),
      inboxRow({ receivedAt: T - 1 }), // before the window
    ];
    for (const r of rows) await store.insertInbox(r);
    expect(await store.inboxActivity(T, 60_000)).toEqual([
      { bucket: T, status: 'PENDING', count: 2 },
      { bucket: T + 60_000, status: 'PENDING', count: 1 },
      { bucket: T + 60_000, status: 'QUARANTINED', count: 1 },
    ]);
  });

  it('filters the inbox by outcome and by a receipt time range', async () => {
    const T = 37_000_000_000;
    const type = `RANGE_${uid('t')}`;
    const rows = [T, T + 10, T + 20, T + 30].map((at) => inboxRow({ receivedAt: at, type }));
    for (const r of rows) await store.insertInbox(r);
    const listed = await store.listInbox({ type, receivedFrom: T + 10, receivedTo: T + 30, limit: 10 });
    expect(listed.items.map((r) => r.receivedAt)).toEqual([T + 20, T + 10]);
    // outcome: apply one of them
    await store.claimInbox({ now: T + 40, limit: 500, leaseMs: 60_000, owner: 'A' });
    const hash = uid('outcome');
    await store.applyEvents([
      {
        input: {
          lookup: { tokenHash: hash },
          inbox: { id: rows[0]?.id as string, owner: 'A' },
          timelineId: uid('ev'),
          now: T + 41,
        },
        event: { kind: 'TOKEN_CANCELED', tokenHash: hash },
        ctx: { ...ctx(T + 41), inboxId: rows[0]?.id as string },
      },
    ]);
    const tombstoned = await store.listInbox({ type, outcome: 'TOMBSTONED', limit: 10 });
    expect(tombstoned.items.map((r) => r.id)).toEqual([rows[0]?.id]);
    expect((await store.listInbox({ type, outcome: 'APPLIED', limit: 10 })).items).toEqual([]);
  });

  it('keeps quarantined rows out of the queue until reclassified', async () => {
    const T = 40_000_000;
    await drainAll(store, T);
    const row = inboxRow({
      status: 'QUARANTINED',
      eventKey: `QUARANTINED:${uid('h')}`,
      type: 'TOKEN_REFRESHED',
      violations: [{ path: 'authorizationNotifyType', rule: 'enum', message: 'x' }],
      receivedAt: T,
    });
    await store.insertInbox(row);
    expect(await store.claimInbox({ now: T + 1, limit: 5, leaseMs: 1000, owner: 'A' })).toEqual([]);
    const stored = await store.getInbox(row.id);
    expect(stored?.violations).toEqual([{ path: 'authorizationNotifyType', rule: 'enum', message: 'x' }]);
    const key = `TOKEN_CANCELED:${uid('t')}`;
    const requeued = await store.requeueInbox(row.id, T + 2, {
      eventKey: key,
      type: 'TOKEN_CANCELED',
      violations: null,
    });
    expect(requeued).toMatchObject({
      status: 'PENDING',
      eventKey: key,
      type: 'TOKEN_CANCELED',
      violations: null,
    });
    expect(
      (await store.claimInbox({ now: T + 3, limit: 5, leaseMs: 1000, owner: 'A' })).map((r) => r.id),
    ).toEqual([row.id]);
  });

  it('follows the inbox oldest first after a receipt time and id, up to a time', async () => {
    const T = 88_000_000;
    const rows = [inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T + 5 })];
    for (const r of rows) await store.insertInbox(r);
    const byId = [...rows].sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1));
    const first = await store.inboxSince([T - 1, ''], T + 10, 2);
    expect(first.map((r) => r.id)).toEqual(byId.slice(0, 2).map((r) => r.id));
    const last = first[1] as (typeof first)[0];
    const rest = await store.inboxSince([last.receivedAt, last.id], T + 10, 10);
    expect(rest.map((r) => r.id)).toEqual([byId[2]?.id]);
    // not past `until`: a later row is read once its time has come
    expect((await store.inboxSince([last.receivedAt, last.id], T + 4, 10)).map((r) => r.id)).toEqual([]);
  });

  it('lists the inbox newest first with filters and a cursor', async () => {
    const T = 50_000_000;
    const type = `PAGE_${uid('t')}`;
    const rows = Array.from({ length: 5 }, (_, i) => inboxRow({ type, receivedAt: T + i }));
    for (const r of rows) await store.insertInbox(r);
    const first = await store.listInbox({ type, limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual([rows[4]?.id, rows[3]?.id]);
    const second = await store.listInbox({ type, limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((r) => r.id)).toEqual([rows[2]?.id, rows[1]?.id]);
    const third = await store.listInbox({ type, limit: 2, cursor: second.nextCursor ?? undefined });
    expect(third.items.map((r) => r.id)).toEqual([rows[0]?.id]);
    expect(third.nextCursor).toBeNull();
    expect((await store.listInbox({ type, status: 'QUARANTINED', limit: 10 })).items).toEqual([]);
    await expect(store.listInbox({ limit: 1, cursor: 'garbage' })).rejects.toMatchObject({
      code: 'PARAM_ILLEGAL',
    });
    const counts = await store.countInbox();
    expect(
      counts.PENDING + counts.PROCESSED + counts.FAILED + counts.QUARANTINED + counts.PROCESSING,
    ).toBeGreaterThan(300);
  });

  it('logs the failed attempts of a batch finish, and none for the rows it processed', async () => {
    const T = 91_000_000;
    await drainAll(store, T);
    const rows = [inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T })];
    for (const r of rows) await store.insertInbox(r);
    await store.claimInbox({ now: T, limit: 10, leaseMs: 1000, owner: 'W' });
    const [ok, retry, failed] = rows as [(typeof rows)[0], (typeof rows)[0], (typeof rows)[0]];
    expect(
      await store.finishInboxMany([
        { id: ok.id, owner: 'W', finish: { status: 'PROCESSED', now: T + 1 } },
        {
          id: retry.id,
          owner: 'W',
          finish: { status: 'PENDING', now: T + 1, nextAttemptAt: T + 9, error: 'handler timed out' },
        },
        { id: failed.id, owner: 'W', finish: { status: 'FAILED', now: T + 1, error: 'invalid merchant' } },
      ]),
    ).toEqual([true, true, true]);
    expect(await store.listInboxAttempts(ok.id)).toEqual([]);
    expect(await store.listInboxAttempts(retry.id)).toMatchObject([
      { attempt: 1, worker: 'W', outcome: 'RETRY', error: 'handler timed out' },
    ]);
    expect(await store.listInboxAttempts(failed.id)).toMatchObject([
      { attempt: 1, outcome: 'FAILED', error: 'invalid merchant' },
    ]);
  });

  it('finishes many leased rows in one call and reports lost leases', async () => {
    const T = 60_000_000;
    await drainAll(store, T);
    const rows = [inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T })];
    for (const r of rows) await store.insertInbox(r);
    await store.claimInbox({ now: T, limit: 10, leaseMs: 1000, owner: 'A' });
    const done = await store.finishInboxMany([
      { id: rows[0]?.id as string, owner: 'A', finish: { status: 'PROCESSED', now: T + 1 } },
      { id: rows[1]?.id as string, owner: 'B', finish: { status: 'PROCESSED', now: T + 1 } },
    ]);
    expect(done).toEqual([true, false]);
  });
}
