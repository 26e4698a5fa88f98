/**
 * The Store contract: every implementation runs exactly these tests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newAuthorization } from '../../src/authorization/record.js';
import type { AuthorizationRecord, LifecycleContext } from '../../src/authorization/types.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/schema.js';
import type { NewInboxRow, Store } from '../../src/store/types.js';

let seq = 0;
const uid = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

export function inboxRow(overrides: Partial<NewInboxRow> = {}): NewInboxRow {
  const id = uid('in');
  return {
    id,
    eventKey: `TOKEN_CANCELED:${id}`,
    type: 'TOKEN_CANCELED',
    status: 'PENDING',
    rawBody: Uint8Array.of(0, 255, 1, 128, 10, 13),
    headers: { 'Client-Id': 'C', 'Request-Time': '1', Signature: 'algorithm=RSA256,signature=x' },
    path: '/alipay/notify/authorization',
    matchedPath: 'canonical',
    keyVersion: '1',
    violations: null,
    requestId: uid('req'),
    receivedAt: 1000,
    ...overrides,
  };
}

export function authorization(
  overrides: Partial<AuthorizationRecord> = {},
): Omit<AuthorizationRecord, 'version'> {
  return newAuthorization({
    id: uid('au'),
    status: 'PENDING',
    authState: uid('st'),
    merchantUserId: 'm-1',
    createdAt: 1000,
    ...overrides,
  });
}

/** A lifecycle context at `now` that creates authorizations with fresh ids. */
function ctx(now: number): LifecycleContext {
  return { now, newId: uid('au'), inboxId: null, acceptUnknownAuthState: false };
}

export function runStoreContract(
  name: string,
  open: () => Promise<Store | undefined>,
  skipReason: () => string | undefined,
): void {
  describe.skipIf(skipReason() !== undefined)(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = (await open()) as Store;
    });
    afterAll(async () => {
      await store?.close();
    });

    it('is migrated to the latest schema, and migrating again applies nothing', async () => {
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.migrate(2000)).toEqual([]);
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.hasData()).toBe(false);
    });

    it('keeps the first value claimed for a setting, across callers', async () => {
      expect(await store.getSetting('contract_setting')).toBeUndefined();
      const answers = await Promise.all([
        store.claimSetting('contract_setting', 'first', 1000),
        store.claimSetting('contract_setting', 'second', 1001),
      ]);
      expect(answers[0]).toBe(answers[1]);
      expect(await store.claimSetting('contract_setting', 'third', 1002)).toBe(answers[0]);
      expect(await store.getSetting('contract_setting')).toBe(answers[0]);
      expect(await store.hasData()).toBe(false); // settings are not data
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
      expect(await store.finishInbox(ids[0] as string, 'A', { status: 'PROCESSED', now: T + 5001 })).toBe(
        true,
      );
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
      expect(again).toMatchObject({ id: row.id, attempts: 2, lastError: 'boom' });
      await store.finishInbox(row.id, 'A', { status: 'FAILED', now: T + 5001, error: 'gave up' });
      expect(await store.getInbox(row.id)).toMatchObject({ status: 'FAILED', lastError: 'gave up' });
      const requeued = await store.requeueInbox(row.id, T + 6000);
      expect(requeued).toMatchObject({ status: 'PENDING', attempts: 0, nextAttemptAt: T + 6000 });
      expect(await store.requeueInbox(row.id, T + 6001)).toBeUndefined();
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

    it('decides a lifecycle event on the rows it reads and records the timeline, in one transaction', async () => {
      const a = authorization();
      await store.saveConsult(
        {
          authState: a.authState as string,
          authorizationId: a.id,
          merchantReference: 'order-1',
          createdAt: 1000,
          expiresAt: null,
        },
        a,
      );
      const result = await store.applyEvent(
        { lookup: { authState: a.authState as string }, timelineId: uid('ev'), now: 2000 },
        {
          kind: 'AUTHCODE_CREATED',
          authCode: 'code-1',
          authState: a.authState as string,
          source: 'redirect',
        },
        ctx(2000),
      );
      expect(result).toMatchObject({ decision: { outcome: 'APPLIED' }, alreadyApplied: false });
      expect(result.authorization).toMatchObject({
        id: a.id,
        status: 'CODE_RECEIVED',
        authCode: 'code-1',
        updatedAt: 2000,
        version: 1,
      });
      const timeline = await store.timeline(a.id);
      expect(timeline).toMatchObject([
        { kind: 'consult', from: null, to: 'PENDING', at: 1000 },
        { kind: 'authcode.redirect', from: 'PENDING', to: 'CODE_RECEIVED', at: 2000 },
      ]);
      // the same event again reads the new row and changes nothing
      const again = await store.applyEvent(
        {
          lookup: { authState: a.authState as string, authCode: 'code-1' },
          timelineId: uid('ev'),
          now: 3000,
        },
        {
          kind: 'AUTHCODE_CREATED',
          authCode: 'code-1',
          authState: a.authState as string,
          source: 'notification',
        },
        ctx(3000),
      );
      expect(again.decision.outcome).toBe('NO_CHANGE');
      expect((await store.getAuthorization(a.id))?.version).toBe(1);
    });

    it('lets exactly one of many concurrent callers claim an authCode, and gives it back on release', async () => {
      const code = uid('code');
      const a = authorization({ status: 'CODE_RECEIVED', authCode: code });
      await store.saveConsult(
        {
          authState: a.authState as string,
          authorizationId: a.id,
          merchantReference: null,
          createdAt: 1,
          expiresAt: null,
        },
        a,
      );
      const claims = await Promise.all(
        Array.from({ length: 12 }, () => store.claimCodeRedemption(code, 5000)),
      );
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect((await store.getAuthorization(a.id))?.codeRedeemedAt).toBe(5000);
      await store.releaseCodeRedemption(code);
      expect(await store.claimCodeRedemption(code, 6000)).toBe(true);
      expect(await store.claimCodeRedemption('no-such-code', 6000)).toBe(false);
    });

    it('lists ACTIVE authorizations whose token expires soon, soonest first', async () => {
      const soon = authorization({ status: 'ACTIVE', accessTokenExpiresAt: 9_000_000_001 });
      const sooner = authorization({ status: 'ACTIVE', accessTokenExpiresAt: 9_000_000_000 });
      const later = authorization({ status: 'ACTIVE', accessTokenExpiresAt: 9_900_000_000 });
      for (const x of [soon, sooner, later]) {
        const consult = { authorizationId: x.id, merchantReference: null, createdAt: 1, expiresAt: null };
        await store.saveConsult({ ...consult, authState: x.authState as string }, x);
      }
      const ids = (await store.listExpiring(9_500_000_000, 10)).map((x) => x.id);
      expect(ids.indexOf(sooner.id)).toBeLessThan(ids.indexOf(soon.id));
      expect(ids).not.toContain(later.id);
    });

    it('marks an inbox row applied in the same transaction and never decides it twice', async () => {
      const row = inboxRow();
      await store.insertInbox(row);
      const tokenHash = uid('hash');
      const apply = () =>
        store.applyEvent(
          { lookup: { tokenHash }, inbox: { id: row.id, owner: 'A' }, timelineId: uid('ev'), now: 7000 },
          { kind: 'TOKEN_CANCELED', tokenHash, reason: 'user left' },
          { ...ctx(7000), inboxId: row.id },
        );
      expect(await apply()).toMatchObject({ alreadyApplied: false, decision: { outcome: 'TOMBSTONED' } });
      // Decided again, the event would meet its own tombstone (NO_CHANGE): the stored outcome shows it was not.
      const second = await apply();
      expect(second).toMatchObject({ alreadyApplied: true, decision: { outcome: 'TOMBSTONED' } });
      expect(await store.getInbox(row.id)).toMatchObject({ applied: true, outcome: 'TOMBSTONED' });
      const seen = await store.applyEvent(
        { lookup: { tokenHash }, timelineId: uid('ev'), now: 8000 },
        { kind: 'TOKEN_CANCELED', tokenHash },
        ctx(8000),
      );
      expect(seen.decision.outcome).toBe('NO_CHANGE');
      // the tombstone keeps the wallet's reason for a TOKEN_CREATED that arrives late
      const late = await store.applyEvent(
        { lookup: { tokenHash }, timelineId: uid('ev'), now: 8500 },
        { kind: 'TOKEN_CREATED', tokenHash, source: 'applyToken' },
        ctx(8500),
      );
      expect(late.decision.outcome).toBe('BORN_CANCELED');
      expect(late.authorization).toMatchObject({ status: 'CANCELED', reason: 'user left', tokenHash });
    });

    it('creates authorizations and finds them by status, state and token hash; a unique clash is a CONFLICT', async () => {
      const hash = uid('th');
      const authState = uid('st');
      const id = uid('au');
      const created = await store.applyEvent(
        { lookup: { tokenHash: hash, authState }, timelineId: uid('ev'), now: 9000 },
        { kind: 'TOKEN_CREATED', tokenHash: hash, authState, source: 'applyToken' },
        { ...ctx(9000), newId: id },
      );
      expect(created.authorization).toMatchObject({ id, status: 'ACTIVE', tokenHash: hash, authState });
      expect((await store.listAuthorizations({ tokenHash: hash, limit: 5 })).items.map((a) => a.id)).toEqual([
        id,
      ]);
      expect((await store.listAuthorizations({ authState, limit: 5 })).items).toHaveLength(1);
      const active = await store.listAuthorizations({ status: 'ACTIVE', limit: 100 });
      expect(active.items.some((a) => a.id === id)).toBe(true);
      // A lookup that misses the existing row makes the lifecycle create a second one with the same token
      // hash: the store refuses it as a typed CONFLICT and writes nothing.
      const clash = uid('au');
      await expect(
        store.applyEvent(
          { lookup: {}, timelineId: uid('ev'), now: 9001 },
          { kind: 'TOKEN_CREATED', tokenHash: hash, source: 'applyToken' },
          { ...ctx(9001), newId: clash },
        ),
      ).rejects.toMatchObject({ code: 'CONFLICT' });
      expect(await store.getAuthorization(clash)).toBeUndefined();
    });

    it('applies a batch of events in order in one transaction, and none of it if one fails', async () => {
      const hash = uid('batch');
      const id = uid('au');
      const results = await store.applyEvents([
        {
          input: { lookup: { tokenHash: hash }, timelineId: uid('ev'), now: 100 },
          event: { kind: 'TOKEN_CREATED', tokenHash: hash, source: 'applyToken' },
          ctx: { ...ctx(100), newId: id },
        },
        {
          // sees the first event's write
          input: { lookup: { tokenHash: hash }, timelineId: uid('ev'), now: 101 },
          event: { kind: 'TOKEN_CANCELED', tokenHash: hash, reason: 'user left' },
          ctx: ctx(101),
        },
      ]);
      expect(results.map((r) => r.authorization?.status)).toEqual(['ACTIVE', 'CANCELED']);
      expect(results.map((r) => r.authorization?.id)).toEqual([id, id]);
      const other = uid('au');
      await expect(
        store.applyEvents([
          {
            input: { lookup: { tokenHash: uid('batch2') }, timelineId: uid('ev'), now: 102 },
            event: { kind: 'TOKEN_CREATED', tokenHash: uid('batch2'), source: 'applyToken' },
            ctx: { ...ctx(102), newId: other },
          },
          {
            input: { lookup: {}, inbox: { id: uid('missing'), owner: 'A' }, timelineId: uid('ev'), now: 103 },
            event: { kind: 'TOKEN_CANCELED', tokenHash: uid('batch3') },
            ctx: ctx(103),
          },
        ]),
      ).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(await store.getAuthorization(other)).toBeUndefined();
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

    it('queues a delivery, leases it to one worker, logs attempts and moves it through its states', async () => {
      const T = 70_000_000;
      const id = uid('ob');
      await store.enqueueOutbox({
        id,
        targetUrl: 'http://127.0.0.1:1/n?x=1',
        clientId: 'C',
        keyVersion: '1',
        type: 'TOKEN_CANCELED',
        body: Uint8Array.of(123, 125),
        schedule: [0, 120_000],
        nextAttemptAt: T,
        createdAt: T,
      });
      expect(await store.claimOutbox({ now: T - 1, limit: 10, leaseMs: 30_000, owner: 'A' })).toEqual([]);
      const [claimed] = await store.claimOutbox({ now: T, limit: 10, leaseMs: 30_000, owner: 'A' });
      expect(claimed).toMatchObject({
        id,
        status: 'DELIVERING',
        run: 1,
        attempts: 0,
        schedule: [0, 120_000],
        leaseOwner: 'A',
      });
      expect(Array.from(claimed?.body ?? [])).toEqual([123, 125]);
      expect(await store.claimOutbox({ now: T + 1, limit: 10, leaseMs: 30_000, owner: 'B' })).toEqual([]);
      const attempt = (number: number, worker: string, verdict: 'NOT_2XX' | 'ACKNOWLEDGED', at: number) => ({
        id: uid('at'),
        outboxId: id,
        run: 1,
        number,
        dueAt: at,
        startedAt: at,
        finishedAt: at + 5,
        requestTime: String(at),
        httpStatus: verdict === 'ACKNOWLEDGED' ? 200 : 500,
        responseExcerpt: 'x',
        errorClass: null,
        verdict,
        worker,
      });
      // a worker that lost its lease writes nothing
      expect(
        await store.recordAttempt(
          attempt(1, 'B', 'NOT_2XX', T),
          { status: 'PENDING', nextAttemptAt: T + 120_005 },
          T + 5,
        ),
      ).toBe(false);
      expect(
        await store.recordAttempt(
          attempt(1, 'A', 'NOT_2XX', T),
          { status: 'PENDING', nextAttemptAt: T + 120_005 },
          T + 5,
        ),
      ).toBe(true);
      expect(await store.getOutbox(id)).toMatchObject({
        status: 'PENDING',
        attempts: 1,
        nextAttemptAt: T + 120_005,
        leaseOwner: null,
      });
      const [again] = await store.claimOutbox({ now: T + 120_005, limit: 10, leaseMs: 30_000, owner: 'B' });
      expect(again?.id).toBe(id);
      expect(
        await store.recordAttempt(
          attempt(2, 'B', 'ACKNOWLEDGED', T + 120_005),
          { status: 'ACKNOWLEDGED' },
          T + 120_010,
        ),
      ).toBe(true);
      expect(await store.getOutbox(id)).toMatchObject({
        status: 'ACKNOWLEDGED',
        attempts: 2,
        acknowledgedAt: T + 120_010,
      });
      expect((await store.listAttempts(id)).map((a) => [a.run, a.number, a.verdict, a.worker])).toEqual([
        [1, 1, 'NOT_2XX', 'A'],
        [1, 2, 'ACKNOWLEDGED', 'B'],
      ]);
      // redelivery by hand starts run 2; cancel stops it
      expect(await store.redeliverOutbox(id, T + 200_000)).toMatchObject({
        status: 'PENDING',
        run: 2,
        attempts: 0,
        nextAttemptAt: T + 200_000,
      });
      expect(await store.cancelOutbox(id, T + 200_001)).toMatchObject({ status: 'CANCELED' });
      expect(await store.claimOutbox({ now: T + 300_000, limit: 10, leaseMs: 30_000, owner: 'A' })).toEqual(
        [],
      );
      expect(await store.cancelOutbox(id, T + 200_002)).toBeUndefined();
      expect((await store.listOutbox({ status: 'CANCELED', limit: 50 })).items.some((o) => o.id === id)).toBe(
        true,
      );
    });

    it('gives an expired delivery lease to another worker and never one delivery to two claimers', async () => {
      const T = 80_000_000;
      const ids = Array.from({ length: 40 }, () => uid('ob'));
      for (const id of ids)
        await store.enqueueOutbox({
          id,
          targetUrl: 'http://127.0.0.1:1/',
          clientId: 'C',
          keyVersion: null,
          type: null,
          body: Uint8Array.of(1),
          schedule: [0],
          nextAttemptAt: T,
          createdAt: T,
        });
      const claims = await Promise.all(
        ['w1', 'w2', 'w3'].map((owner) => store.claimOutbox({ now: T, limit: 20, leaseMs: 10_000, owner })),
      );
      const claimed = claims
        .flat()
        .map((o) => o.id)
        .filter((id) => ids.includes(id));
      expect(new Set(claimed).size).toBe(claimed.length);
      expect(claimed.length).toBe(40);
      const taken = (await store.claimOutbox({ now: T + 10_001, limit: 100, leaseMs: 10_000, owner: 'w4' }))
        .map((o) => o.id)
        .filter((id) => ids.includes(id));
      expect(taken.length).toBe(40);
    });

    it('answers STORE_UNAVAILABLE once closed', async () => {
      const other = (await open()) as Store;
      await other.close();
      await expect(other.insertInbox(inboxRow())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(other.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  });
}

async function drainAll(store: Store, now: number): Promise<void> {
  for (;;) {
    const rows = await store.claimInbox({ now, limit: 500, leaseMs: 1, owner: 'drain' });
    if (rows.length === 0) return;
    for (const r of rows) await store.finishInbox(r.id, 'drain', { status: 'PROCESSED', now });
  }
}
