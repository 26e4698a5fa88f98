import { describe, expect, it } from 'vitest';
import { ClaimPolicy } from '../../src/receiver/claims.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { OK, testReceiver } from '../helpers/receiver.js';
import { until } from '../helpers/wait.js';

describe('ClaimPolicy', () => {
  type Step = 'want' | 'claim-found' | 'claim-empty';
  it.each<{ name: string; intervalMs: number; steps: Step[]; storeApplies: boolean; claims: boolean }>([
    { name: 'claims on the first pass', intervalMs: 60_000, steps: [], storeApplies: true, claims: true },
    {
      name: 'skips while nothing is wanted and the last claim found nothing',
      intervalMs: 60_000,
      steps: ['claim-empty'],
      storeApplies: true,
      claims: false,
    },
    {
      name: 'claims after a row that needs a claim was stored',
      intervalMs: 60_000,
      steps: ['claim-empty', 'want'],
      storeApplies: true,
      claims: true,
    },
    {
      name: 'claims again while the last claim found rows',
      intervalMs: 60_000,
      steps: ['claim-found'],
      storeApplies: true,
      claims: true,
    },
    {
      name: 'claims every pass when the store applies no type',
      intervalMs: 60_000,
      steps: ['claim-empty'],
      storeApplies: false,
      claims: true,
    },
    {
      name: 'claims once the interval has passed',
      intervalMs: 0,
      steps: ['claim-empty'],
      storeApplies: true,
      claims: true,
    },
  ])('$name', ({ intervalMs, steps, storeApplies, claims }) => {
    const policy = new ClaimPolicy(intervalMs);
    for (const step of steps) {
      if (step === 'want') policy.want();
      else {
        policy.claiming();
        policy.claimed(step === 'claim-found' ? 1 : 0);
      }
    }
    expect(policy.shouldClaim(storeApplies)).toBe(claims);
  });

  it('keeps a want that arrives during a claim for the next pass', () => {
    const policy = new ClaimPolicy(60_000);
    policy.claiming();
    policy.want();
    policy.claimed(0);
    expect(policy.shouldClaim(true)).toBe(true);
  });
});

describe('the processor claims only when a claim can find rows', () => {
  const canceled = (token: string) => ({
    authorizationNotifyType: 'TOKEN_CANCELED',
    accessToken: token,
    result: OK,
  });

  it("does not hold a handler's row back behind a backlog the store keeps applying in full batches", async () => {
    const inner = await createSqliteStore({ path: ':memory:' });
    let claims = 0;
    let gate: Promise<void> = Promise.resolve();
    const store = new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          if (name === 'claimInbox') claims++;
          if (name === 'applyDue') await gate;
          // Rows are left to the processor's passes, as PostgreSQL leaves them (none applied at receipt).
          if (name === 'insertInbox') args[0] = { ...(args[0] as object), applyAtReceipt: undefined };
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as Store;
    // Batches of one: the store applies four rows a pass, so every pass of the backlog below is full.
    const t = await testReceiver(
      { processor: { batchSize: 1, pollIntervalMs: 600_000, nudgeDelayMs: 1 } },
      store,
    );
    let appliedBefore = -1;
    t.receiver.on('TOKEN_CREATED', async () => {
      const rows = (await t.store.listInbox({ limit: 100, type: 'TOKEN_CANCELED' })).items;
      appliedBefore = rows.filter((r) => r.status === 'PROCESSED').length;
    });
    t.receiver.start();
    try {
      await until('the first, empty pass', () => claims === 1);
      let open: () => void = () => undefined;
      gate = new Promise<void>((resolve) => {
        open = resolve;
      });
      // The backlog and then the handler's row arrive while a pass waits on the store.
      for (let i = 0; i < 40; i++) expect((await t.send(canceled(`backlog-${i}`))).status).toBe(200);
      const created = {
        authorizationNotifyType: 'TOKEN_CREATED',
        accessToken: 'tok-behind-backlog',
        authState: 'st-behind-backlog',
        userId: '2088001',
        userLoginId: 'alice@example.com',
        result: OK,
      };
      expect((await t.send(created)).status).toBe(200);
      open();
      await until('the handler to run', () => appliedBefore >= 0);
      // The next pass applies one store batch and then claims the handler's row (before: only once the
      // whole backlog was applied, since a full store batch skipped the claim while claims found nothing).
      expect(appliedBefore).toBeLessThan(40);
      await until('the backlog to be applied', async () => {
        const rows = (await t.store.listInbox({ limit: 100, type: 'TOKEN_CANCELED' })).items;
        return rows.filter((r) => r.status === 'PROCESSED').length === 40;
      });
    } finally {
      await t.receiver.stop();
      await store.close();
    }
  });

  it('applies store-applied rows without claiming, and claims at once for a row with a handler', async () => {
    const inner = await createSqliteStore({ path: ':memory:' });
    let claims = 0;
    const store = new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (name === 'claimInbox') claims++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as Store;
    // A poll interval far beyond the test: every claim below comes from the policy, not the timer.
    const t = await testReceiver({ processor: { pollIntervalMs: 600_000, nudgeDelayMs: 1 } }, store);
    const handled: string[] = [];
    t.receiver.on('TOKEN_CREATED', (event) => void handled.push(event.id));
    t.receiver.start();
    try {
      await until('the first pass', () => claims === 1);
      for (const token of ['c-1', 'c-2', 'c-3']) expect((await t.send(canceled(token))).status).toBe(200);
      await until('the store to apply the rows', async () => {
        const rows = (await t.store.listInbox({ limit: 10 })).items;
        return rows.length === 3 && rows.every((r) => r.status === 'PROCESSED');
      });
      expect(claims).toBe(1);
      const created = {
        authorizationNotifyType: 'TOKEN_CREATED',
        accessToken: 'tok-handled',
        authState: 'st-handled',
        userId: '2088001',
        userLoginId: 'alice@example.com',
        result: OK,
      };
      expect((await t.send(created)).status).toBe(200);
      await until('the handler to run', () => handled.length === 1);
      expect(claims).toBe(2);
    } finally {
      await t.receiver.stop();
      await store.close();
    }
  });
});
