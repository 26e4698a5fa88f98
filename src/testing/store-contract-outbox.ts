/** The store contract for the outbox: deliveries leased to one worker, attempts, redelivery and cancel. */
import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../store/types.js';
import { uid } from './store-contract-fixtures.js';

export function outboxContract(current: () => Store): void {
  let store: Store;
  beforeEach(() => {
    store = current();
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
    expect(await store.claimOutbox({ now: T + 300_000, limit: 10, leaseMs: 30_000, owner: 'A' })).toEqual([]);
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
}
