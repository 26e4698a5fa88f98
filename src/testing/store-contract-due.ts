/** The store contract for rows the store applies itself (`applyDue`), and for the claims that leave them to it. */
import { beforeEach, expect, it } from 'vitest';
import { factsOf } from '../authorization/facts.js';
import type { Store } from '../store/types.js';
import { drainAll, inboxRow, uid } from './store-contract-fixtures.js';

export function dueContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
  });

  it('applies due rows from their stored facts and finishes them, in one call, leaving the others', async () => {
    const T = 95_000_000;
    await drainAll(store, T - 1);
    const cancelHash = uid('hash');
    const createHash = uid('hash');
    const cancel = inboxRow({
      receivedAt: T,
      eventKey: `TOKEN_CANCELED:${cancelHash}`,
      facts: factsOf({ kind: 'TOKEN_CANCELED', tokenHash: cancelHash, reason: 'r' }),
    });
    const create = inboxRow({
      receivedAt: T + 1,
      type: 'TOKEN_CREATED',
      eventKey: `TOKEN_CREATED:${createHash}`,
      facts: factsOf({ kind: 'TOKEN_CREATED', tokenHash: createHash, source: 'notification' }),
    });
    const withoutFacts = inboxRow({ receivedAt: T + 2 });
    const otherType = inboxRow({
      receivedAt: T + 3,
      type: 'AUTHCODE_CREATED',
      eventKey: `AUTHCODE_CREATED:${uid('code')}`,
      facts: factsOf({ kind: 'AUTHCODE_CREATED', authCode: 'c', authState: 's', source: 'notification' }),
    });
    const laterHash = uid('hash');
    const later = inboxRow({
      receivedAt: T + 60_000,
      eventKey: `TOKEN_CANCELED:${laterHash}`,
      facts: factsOf({ kind: 'TOKEN_CANCELED', tokenHash: laterHash }),
    });
    for (const r of [cancel, create, withoutFacts, otherType, later]) await store.insertInbox(r);
    const request = {
      now: T + 10,
      limit: 10,
      types: ['TOKEN_CANCELED', 'TOKEN_CREATED'],
      acceptUnknownAuthState: true,
    };
    const applied = await store.applyDue(request);
    expect(applied.map((a) => [a.id, a.type, a.outcome, a.alreadyApplied])).toEqual([
      [cancel.id, 'TOKEN_CANCELED', 'TOMBSTONED', false],
      [create.id, 'TOKEN_CREATED', 'APPLIED', false],
    ]);
    expect(await store.getInbox(cancel.id)).toMatchObject({
      status: 'PROCESSED',
      applied: true,
      attempts: 1,
      leaseOwner: null,
    });
    const created = await store.getInbox(create.id);
    expect(created).toMatchObject({ status: 'PROCESSED', outcome: 'APPLIED', attempts: 1 });
    expect((await store.getAuthorization(created?.authorizationId as string))?.status).toBe('ACTIVE');
    for (const r of [withoutFacts, otherType, later])
      expect((await store.getInbox(r.id))?.status).toBe('PENDING');
    expect(await store.applyDue(request)).toEqual([]);
    // a row another worker holds is not touched
    const [held] = await store.claimInbox({ now: T + 60_000, limit: 1, leaseMs: 60_000, owner: 'other' });
    expect(held?.id).toBe(withoutFacts.id);
    expect(await store.applyDue({ ...request, now: T + 60_000 })).toMatchObject([{ id: later.id }]);
    expect((await store.getInbox(withoutFacts.id))?.status).toBe('PROCESSING');
  });

  it('claims around the rows left to applyDue: facts of a left type stay PENDING, the rest are leased', async () => {
    const T = 96_000_000;
    await drainAll(store, T - 1);
    const hash = uid('hash');
    const left = inboxRow({
      receivedAt: T,
      eventKey: `TOKEN_CANCELED:${hash}`,
      facts: factsOf({ kind: 'TOKEN_CANCELED', tokenHash: hash }),
    });
    const withoutFacts = inboxRow({ receivedAt: T + 1 });
    const otherType = inboxRow({
      receivedAt: T + 2,
      type: 'AUTHCODE_CREATED',
      eventKey: `AUTHCODE_CREATED:${uid('code')}`,
      facts: factsOf({ kind: 'AUTHCODE_CREATED', authCode: 'c', authState: 's', source: 'notification' }),
    });
    for (const r of [left, withoutFacts, otherType]) await store.insertInbox(r);
    const claim = { now: T + 10, limit: 10, leaseMs: 60_000, owner: 'w' };
    const leased = await store.claimInbox({ ...claim, leaveDue: ['TOKEN_CANCELED', 'TOKEN_CREATED'] });
    expect(leased.map((r) => r.id)).toEqual([withoutFacts.id, otherType.id]);
    expect((await store.getInbox(left.id))?.status).toBe('PENDING');
    // without the list (the store could not apply them), they are claimed like any other row
    const rest = await store.claimInbox(claim);
    expect(rest.map((r) => r.id)).toEqual([left.id]);
    // an expired lease is claimed whatever its type
    const again = await store.claimInbox({ ...claim, now: T + 70_000, leaveDue: ['TOKEN_CANCELED'] });
    expect(again.map((r) => r.id).sort()).toEqual([left.id, withoutFacts.id, otherType.id].sort());
  });

  it('applies a row sent with applyAtReceipt with its insert or leaves it PENDING for applyDue, and never applies a copy', async () => {
    const T = 97_000_000;
    await drainAll(store, T - 1);
    const hash = uid('hash');
    const row = inboxRow({
      receivedAt: T,
      eventKey: `TOKEN_CANCELED:${hash}`,
      facts: factsOf({ kind: 'TOKEN_CANCELED', tokenHash: hash }),
      applyAtReceipt: { acceptUnknownAuthState: false },
    });
    const stored = await store.insertInbox(row);
    expect(stored).toMatchObject({ outcome: 'inserted', id: row.id });
    if (stored.applied === undefined) {
      // a store that leaves it to the processor
      expect((await store.getInbox(row.id))?.status).toBe('PENDING');
      const request = { now: T + 1, limit: 10, types: ['TOKEN_CANCELED'], acceptUnknownAuthState: false };
      expect(await store.applyDue(request)).toMatchObject([{ id: row.id, outcome: 'TOMBSTONED' }]);
    } else
      expect(stored.applied).toEqual({
        id: row.id,
        type: 'TOKEN_CANCELED',
        outcome: 'TOMBSTONED',
        authorizationId: null,
        alreadyApplied: false,
      });
    expect(await store.getInbox(row.id)).toMatchObject({
      status: 'PROCESSED',
      applied: true,
      outcome: 'TOMBSTONED',
      attempts: 1,
    });
    const copy = await store.insertInbox({ ...row, id: uid('in'), requestId: uid('req'), receivedAt: T + 2 });
    expect(copy).toMatchObject({ outcome: 'duplicate', id: row.id, duplicates: 1 });
    expect(copy.applied).toBeUndefined();
  });
}
