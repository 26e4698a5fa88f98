/** The store contract for the lifecycle: events decided on the rows they read, atomically, and code claims. */
import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../store/types.js';
import { authorization, ctx, drainAll, inboxRow, uid } from './store-contract-fixtures.js';

export function lifecycleContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
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
    const claims = await Promise.all(Array.from({ length: 12 }, () => store.claimCodeRedemption(code, 5000)));
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
    const masked = uid('a****@example.com');
    const withLogin = authorization({ userLoginIdMasked: masked });
    await store.saveConsult(
      {
        authState: withLogin.authState as string,
        authorizationId: withLogin.id,
        merchantReference: null,
        createdAt: 1,
        expiresAt: null,
      },
      withLogin,
    );
    const byLogin = await store.listAuthorizations({ userLoginIdMasked: masked, limit: 5 });
    expect(byLogin.items.map((a) => a.id)).toEqual([withLogin.id]);
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

  it('writes every authorization a batch changed, each with its own values and version', async () => {
    const known = [uid('multi'), uid('multi'), uid('multi')];
    const ids = known.map(() => uid('au'));
    for (const [i, hash] of known.entries())
      await store.applyEvent(
        { lookup: { tokenHash: hash }, timelineId: uid('ev'), now: 700 },
        { kind: 'TOKEN_CREATED', tokenHash: hash, source: 'applyToken' },
        { ...ctx(700), newId: ids[i] as string },
      );
    const [a, b, c] = known as [string, string, string];
    const results = await store.applyEvents([
      {
        input: { lookup: { tokenHash: a }, timelineId: uid('ev'), now: 710 },
        event: { kind: 'TOKEN_CANCELED', tokenHash: a, reason: 'left A' },
        ctx: ctx(710),
      },
      {
        input: { lookup: { tokenHash: b }, timelineId: uid('ev'), now: 711 },
        event: { kind: 'TOKEN_CANCELED', tokenHash: b, reason: 'left B' },
        ctx: ctx(711),
      },
      {
        input: { lookup: { tokenHash: c }, timelineId: uid('ev'), now: 712 },
        event: { kind: 'REVOKED', tokenHash: c },
        ctx: ctx(712),
      },
    ]);
    expect(results.map((r) => r.decision.outcome)).toEqual(['APPLIED', 'APPLIED', 'APPLIED']);
    const [ra, rb, rc] = await Promise.all(ids.map((id) => store.getAuthorization(id)));
    expect([ra?.status, rb?.status, rc?.status]).toEqual(['CANCELED', 'CANCELED', 'REVOKED']);
    expect([ra?.reason, rb?.reason]).toEqual(['left A', 'left B']);
    expect([rb?.updatedAt, rc?.updatedAt]).toEqual([711, 712]);
    expect([ra?.version, rb?.version, rc?.version]).toEqual([1, 1, 1]);
  });

  it('finishes rows in the lifecycle transaction when asked, only while their lease is held', async () => {
    const T = 90_000_000;
    await drainAll(store, T);
    const rows = [inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T }), inboxRow({ receivedAt: T })];
    for (const r of rows) await store.insertInbox(r);
    const claimed = await store.claimInbox({ now: T, limit: 500, leaseMs: 60_000, owner: 'A' });
    expect(claimed.map((r) => r.id)).toEqual(expect.arrayContaining(rows.map((r) => r.id)));
    const hashes = rows.map(() => uid('fin'));
    const application = (i: number, owner: string, now: number) => ({
      input: {
        lookup: { tokenHash: hashes[i] as string },
        inbox: { id: rows[i]?.id as string, owner },
        timelineId: uid('ev'),
        now,
      },
      event: { kind: 'TOKEN_CANCELED' as const, tokenHash: hashes[i] as string },
      ctx: { ...ctx(now), inboxId: rows[i]?.id as string },
      finish: { owner },
    });
    const results = await store.applyEvents([application(0, 'A', T + 1), application(1, 'B', T + 1)]);
    expect(results.map((r) => [r.decision.outcome, r.finished])).toEqual([
      ['TOMBSTONED', true],
      ['TOMBSTONED', false],
    ]);
    expect(await store.getInbox(rows[0]?.id as string)).toMatchObject({
      status: 'PROCESSED',
      applied: true,
      outcome: 'TOMBSTONED',
      leaseOwner: null,
      processedAt: T + 1,
    });
    // B does not hold the lease: applied, but still A's to finish
    expect(await store.getInbox(rows[1]?.id as string)).toMatchObject({
      status: 'PROCESSING',
      applied: true,
      leaseOwner: 'A',
    });
    // an applied row asked again is not decided again, and A may still finish it
    const again = await store.applyEvents([application(1, 'A', T + 2), application(2, 'A', T + 2)]);
    expect(again.map((r) => [r.alreadyApplied, r.finished])).toEqual([
      [true, true],
      [false, true],
    ]);
    expect((await store.getInbox(rows[1]?.id as string))?.status).toBe('PROCESSED');
    expect(await store.claimInbox({ now: T + 120_000, limit: 500, leaseMs: 1, owner: 'C' })).toEqual([]);
  });

  it('serializes concurrent batches on one authorization: one wins, the others see its write', async () => {
    const hash = uid('race');
    const id = uid('au');
    await store.applyEvent(
      { lookup: { tokenHash: hash }, timelineId: uid('ev'), now: 500 },
      { kind: 'TOKEN_CREATED', tokenHash: hash, source: 'applyToken' },
      { ...ctx(500), newId: id },
    );
    const batch = (
      event: { kind: 'TOKEN_CANCELED'; tokenHash: string } | { kind: 'REVOKED'; tokenHash: string },
    ) =>
      store.applyEvents([
        { input: { lookup: { tokenHash: hash }, timelineId: uid('ev'), now: 600 }, event, ctx: ctx(600) },
      ]);
    const results = await Promise.all([
      batch({ kind: 'TOKEN_CANCELED', tokenHash: hash }),
      batch({ kind: 'REVOKED', tokenHash: hash }),
      batch({ kind: 'TOKEN_CANCELED', tokenHash: hash }),
      batch({ kind: 'REVOKED', tokenHash: hash }),
    ]);
    const outcomes = results.map(([r]) => r?.decision.outcome);
    expect(outcomes.filter((o) => o === 'APPLIED')).toHaveLength(1);
    const final = await store.getAuthorization(id);
    expect(final?.version).toBe(1); // one change, not one per batch
    expect(['CANCELED', 'REVOKED']).toContain(final?.status);
    expect((await store.timeline(id)).filter((e) => e.to !== e.from && e.from !== null)).toHaveLength(1);
  });
}
