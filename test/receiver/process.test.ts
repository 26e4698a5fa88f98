import { describe, expect, it, vi } from 'vitest';
import { newAuthorization } from '../../src/authorization/record.js';
import { AuthNotifyError } from '../../src/protocol/errors.js';
import type { NotificationEvent } from '../../src/receiver/handlers.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { OK, testReceiver } from '../helpers/receiver.js';

const authcode = (code: string, state: string) => ({
  authorizationNotifyType: 'AUTHCODE_CREATED',
  authCode: code,
  authState: state,
  result: OK,
});
const created = (token: string, state: string) => ({
  authorizationNotifyType: 'TOKEN_CREATED',
  accessToken: token,
  authState: state,
  userId: '2088001',
  userLoginId: 'alice@example.com',
  result: OK,
});
const canceled = (token: string, reason?: string) => ({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken: token,
  ...(reason ? { reason } : {}),
  result: OK,
});

async function consult(t: Awaited<ReturnType<typeof testReceiver>>, state: string) {
  const id = `au-${state}`;
  await t.store.saveConsult(
    {
      authState: state,
      authorizationId: id,
      merchantReference: 'user-42',
      createdAt: t.clock.now(),
      expiresAt: null,
    },
    newAuthorization({
      id,
      status: 'PENDING',
      authState: state,
      merchantUserId: 'user-42',
      createdAt: t.clock.now(),
    }),
  );
  return id;
}

describe('applying notifications to authorizations', () => {
  it('walks consult → AUTHCODE_CREATED → TOKEN_CREATED → TOKEN_CANCELED and records the timeline', async () => {
    const t = await testReceiver();
    const id = await consult(t, 'st-1');
    await t.send(authcode('code-1', 'st-1'));
    await t.receiver.drain();
    expect((await t.store.getAuthorization(id))?.status).toBe('CODE_RECEIVED');
    await t.send(created('tok-1', 'st-1'));
    await t.receiver.drain();
    expect(await t.store.getAuthorization(id)).toMatchObject({
      status: 'ACTIVE',
      userId: '2088001',
      userLoginIdMasked: 'a****@example.com',
    });
    await t.send(canceled('tok-1', 'user closed it'));
    await t.receiver.drain();
    expect(await t.store.getAuthorization(id)).toMatchObject({
      status: 'CANCELED',
      reason: 'user closed it',
    });
    // a late TOKEN_CREATED does not revive it
    t.clock.advance(1000);
    await t.send({ ...created('tok-1', 'st-1'), userId: '2088002' });
    await t.receiver.drain();
    expect((await t.store.getAuthorization(id))?.status).toBe('CANCELED');
    const timeline = await t.store.timeline(id);
    expect(timeline.map((e) => `${e.from}->${e.to}`)).toEqual([
      'null->PENDING',
      'PENDING->CODE_RECEIVED',
      'CODE_RECEIVED->ACTIVE',
      'ACTIVE->CANCELED',
    ]);
  });

  it('leaves a tombstone for an unknown token, so its later TOKEN_CREATED is born canceled', async () => {
    const t = await testReceiver();
    const id = await consult(t, 'st-2');
    await t.send(canceled('tok-2', 'canceled in wallet'));
    await t.receiver.drain();
    expect((await t.store.listInbox({ limit: 1 })).items[0]?.outcome).toBe('TOMBSTONED');
    await t.send(created('tok-2', 'st-2'));
    await t.receiver.drain();
    expect(await t.store.getAuthorization(id)).toMatchObject({
      status: 'CANCELED',
      reason: 'canceled in wallet',
    });
  });

  it('flags an authState that matches no consult and creates nothing', async () => {
    const t = await testReceiver();
    await t.send(authcode('code-x', 'forged-state'));
    await t.receiver.drain();
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row).toMatchObject({ status: 'PROCESSED', outcome: 'UNKNOWN_AUTH_STATE', authorizationId: null });
    expect((await t.store.listAuthorizations({ limit: 10 })).items).toHaveLength(0);
  });

  it('accepts unknown authStates when configured to, and redeems the code exactly once', async () => {
    const redeemed: string[] = [];
    const t = await testReceiver({
      acceptUnknownAuthState: true,
      applyToken: { redeem: async ({ authCode }) => void redeemed.push(authCode) },
    });
    await t.send(authcode('code-y', 'elsewhere-state'));
    await t.send({ ...authcode('code-y', 'elsewhere-state'), userId: 'retry-with-other-bytes' });
    await t.receiver.drain();
    expect(redeemed).toEqual(['code-y']);
    const { items } = await t.store.listAuthorizations({ limit: 10 });
    expect(items).toMatchObject([{ status: 'CODE_RECEIVED', authState: 'elsewhere-state' }]);
  });
});

describe('handlers', () => {
  it('runs typed handlers after the ack, with the lifecycle outcome and a masked view', async () => {
    const t = await testReceiver();
    const id = await consult(t, 'st-3');
    const seen: NotificationEvent[] = [];
    const reasons: (string | undefined)[] = [];
    t.receiver.on('TOKEN_CANCELED', (event) => {
      reasons.push(event.notification.reason); // typed: TokenCanceled
    });
    t.receiver.on('*', (event) => {
      seen.push(event);
    });
    await t.send(created('tok-3', 'st-3'));
    await t.send(canceled('tok-3', 'bye'));
    expect(seen).toHaveLength(0); // nothing runs before the processor does
    await t.receiver.drain();
    expect(seen.map((e) => [e.type, e.outcome, e.authorization?.status])).toEqual([
      ['TOKEN_CREATED', 'APPLIED', 'ACTIVE'],
      ['TOKEN_CANCELED', 'APPLIED', 'CANCELED'],
    ]);
    expect(seen[0]?.authorization).toMatchObject({ id, userLoginId: 'a****@example.com' });
    expect(JSON.stringify(seen[0]?.authorization)).not.toContain('tokenHash');
    expect(reasons).toEqual(['bye']);
  });

  it('retries a failing handler with backoff on the injected clock, then FAILED after maxAttempts', async () => {
    const t = await testReceiver({ processor: { maxAttempts: 3, backoffMs: (n) => n * 10_000 } });
    let calls = 0;
    t.receiver.on('TOKEN_CANCELED', () => {
      calls++;
      throw new Error('downstream is down');
    });
    await t.send(canceled('tok-4'));
    await t.receiver.drain();
    expect(calls).toBe(1);
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row).toMatchObject({
      status: 'PENDING',
      attempts: 1,
      lastError: 'downstream is down',
      applied: true,
    });
    await t.receiver.drain();
    expect(calls).toBe(1); // not due yet
    t.clock.advance(10_000);
    await t.receiver.drain();
    expect(calls).toBe(2);
    t.clock.advance(20_000);
    await t.receiver.drain();
    expect(calls).toBe(3);
    expect((await t.store.getInbox(row?.id as string))?.status).toBe('FAILED');
    t.clock.advance(10 ** 9);
    await t.receiver.drain();
    expect(calls).toBe(3);
  });

  it('runs handlers again after a crash mid-processing, without applying the lifecycle twice', async () => {
    const t = await testReceiver({ processor: { leaseMs: 30_000 } });
    const id = await consult(t, 'st-5');
    await t.send(created('tok-5', 'st-5'));
    // a worker claims the row and dies before finishing
    const [claimed] = await t.store.claimInbox({
      now: t.clock.now(),
      limit: 1,
      leaseMs: 30_000,
      owner: 'dead-worker',
    });
    expect(claimed?.status).toBe('PROCESSING');
    const events: string[] = [];
    t.receiver.on('*', (e) => void events.push(e.outcome));
    expect(await t.receiver.drain()).toBe(0); // leased: not taken
    t.clock.advance(30_001);
    expect(await t.receiver.drain()).toBe(1);
    expect(events).toEqual(['APPLIED']);
    expect((await t.store.getInbox(claimed?.id as string))?.status).toBe('PROCESSED');
    expect((await t.store.timeline(id)).map((e) => e.kind)).toEqual([
      'consult',
      'token.created.notification',
    ]);
  });

  it('unsubscribes', async () => {
    const t = await testReceiver();
    let calls = 0;
    const off = t.receiver.on('*', () => void calls++);
    off();
    await t.send(canceled('tok-6'));
    await t.receiver.drain();
    expect(calls).toBe(0);
  });
});

describe('the running processor', () => {
  it('picks up a notification stored during a pass at once, not after the poll interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const t = await testReceiver({ processor: { pollIntervalMs: 3_600_000, nudgeDelayMs: 1 } });
      const seen: string[] = [];
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      t.receiver.on('TOKEN_CANCELED', async (event) => {
        seen.push(event.notification.accessToken);
        if (seen.length === 1) await held;
      });
      t.receiver.start();
      await t.send(canceled('tok-first'));
      // Fake time only moves when the test says so; the hour-long poll interval never elapses here.
      await vi.waitFor(() => expect(seen).toEqual(['tok-first'])); // the first pass is in its handler
      await t.send(canceled('tok-second'));
      await vi.advanceTimersByTimeAsync(5); // its nudge fires while that pass runs
      release();
      await vi.waitFor(() => expect(seen).toEqual(['tok-first', 'tok-second']));
      await t.receiver.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('leases during a pass', () => {
  it('renews the leases while slow handlers run, so another worker cannot claim the rows meanwhile', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const t = await testReceiver({ processor: { leaseMs: 3000 } });
      let release: () => void = () => undefined;
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let runs = 0;
      t.receiver.on('TOKEN_CANCELED', async () => {
        runs++;
        await held;
      });
      await t.send(canceled('tok-slow'));
      const drained = t.receiver.drain();
      await vi.waitFor(() => expect(runs).toBe(1));
      for (let i = 0; i < 3; i++) {
        t.clock.advance(1000);
        await vi.advanceTimersByTimeAsync(1000); // a renewal every third of the lease
      }
      // Past the first lease (claimed at START, 3 s): still leased to the running pass.
      t.clock.advance(1500);
      const other = await t.store.claimInbox({
        now: t.clock.now(),
        limit: 10,
        leaseMs: 3000,
        owner: 'other',
      });
      expect(other).toEqual([]);
      release();
      await drained;
      expect(runs).toBe(1);
      expect((await t.store.countInbox()).PROCESSED).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('concurrent passes', () => {
  it('handles every row once when several passes claim at the same time', async () => {
    const t = await testReceiver({ processor: { concurrency: 3, batchSize: 2, pollIntervalMs: 3_600_000 } });
    const seen: string[] = [];
    t.receiver.on('TOKEN_CANCELED', async (event) => {
      seen.push(event.notification.accessToken);
      await new Promise((r) => setImmediate(r)); // let the other passes run in between
    });
    const tokens = Array.from({ length: 7 }, (_, i) => `tok-c${i}`);
    for (const token of tokens) await t.send(canceled(token));
    t.receiver.start();
    await vi.waitFor(() => expect(seen).toHaveLength(7));
    await t.receiver.stop();
    expect([...seen].sort()).toEqual(tokens);
    expect((await t.store.countInbox()).PROCESSED).toBe(7);
  });
});

describe('reprocessing', () => {
  it('refuses to requeue a quarantined body that still does not validate', async () => {
    const t = await testReceiver();
    await t.send({ authorizationNotifyType: 'TOKEN_REFRESHED', accessToken: 'T', result: OK });
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    await expect(t.receiver.reprocess(row?.id as string)).rejects.toMatchObject({ code: 'PARAM_ILLEGAL' });
    await expect(t.receiver.reprocess('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('requeues a FAILED notification and processes it', async () => {
    const t = await testReceiver({ processor: { maxAttempts: 1 } });
    let fail = true;
    let ok = 0;
    t.receiver.on('*', () => {
      if (fail) throw new Error('not yet');
      ok++;
    });
    await t.send(canceled('tok-7'));
    await t.receiver.drain();
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row?.status).toBe('FAILED');
    await expect(t.receiver.reprocess(row?.id as string)).resolves.toMatchObject({ status: 'PENDING' });
    fail = false;
    await t.receiver.drain();
    expect(ok).toBe(1);
    await expect(t.receiver.reprocess(row?.id as string)).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});

/** A store whose named methods fail with STORE_UNAVAILABLE while `down.has(name)`. */
async function flakyStore(down: Set<string>): Promise<Store> {
  const base = await createSqliteStore({ path: ':memory:' });
  return new Proxy(base, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      if (typeof prop === 'string' && down.has(prop))
        return async () => {
          throw new AuthNotifyError('STORE_UNAVAILABLE', `the store failed to ${prop}`);
        };
      return value.bind(target);
    },
  });
}

describe('processing while the store fails', () => {
  it('gives back the rows of a pass whose finish failed as soon as the store answers, not after their lease', async () => {
    const down = new Set(['finishInboxMany']);
    const t = await testReceiver({ processor: { leaseMs: 3_600_000 } }, await flakyStore(down));
    let runs = 0;
    t.receiver.on('*', () => {
      runs++;
    });
    await t.send(canceled('tok-flaky'));
    await expect(t.receiver.drain()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await t.store.listInbox({ limit: 1 })).items[0]?.status).toBe('PROCESSING');
    down.clear();
    await t.receiver.drain();
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row?.status).toBe('PROCESSED');
    expect(runs).toBe(2); // at least once: the handler ran again after the failed finish
  });

  it('never marks a notification FAILED because the store was unreachable, however many attempts', async () => {
    const down = new Set(['applyEvents', 'applyEvent']);
    const t = await testReceiver({ processor: { maxAttempts: 1 } }, await flakyStore(down));
    t.receiver.on('TOKEN_CANCELED', () => undefined); // a handler: the row is claimed and applied here
    await t.send(canceled('tok-down'));
    await t.receiver.drain();
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(row?.status).toBe('PENDING');
    expect(row?.lastError).toMatch(/store failed to apply/);
    down.clear();
    t.clock.advance(3_600_000);
    await t.receiver.drain();
    expect((await t.store.listInbox({ limit: 1 })).items[0]?.status).toBe('PROCESSED');
  });

  it('leaves a row the store could not apply for it PENDING, and applies it once the store answers', async () => {
    const down = new Set(['applyDue']);
    const t = await testReceiver({ processor: { maxAttempts: 1 } }, await flakyStore(down));
    await t.send(canceled('tok-down-due'));
    await expect(t.receiver.drain()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect((await t.store.listInbox({ limit: 1 })).items[0]).toMatchObject({
      status: 'PENDING',
      attempts: 0,
    });
    down.clear();
    await t.receiver.drain();
    expect((await t.store.listInbox({ limit: 1 })).items[0]).toMatchObject({
      status: 'PROCESSED',
      outcome: 'TOMBSTONED',
      attempts: 1,
    });
  });
});

describe('finishing rows with their lifecycle', () => {
  /** A store that counts the calls the processor makes. */
  async function counted() {
    const inner = await createSqliteStore({ path: ':memory:' });
    const calls = { applyDue: 0, applyEvents: 0, finishInboxMany: 0 };
    const store = new Proxy(inner, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (name === 'applyDue' || name === 'applyEvents' || name === 'finishInboxMany') calls[name]++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    }) as Store;
    return { store, calls };
  }

  it.each([
    // Nothing runs after the lifecycle: the store applies and finishes the rows itself, in one call.
    { handlers: 'none', expected: { applyDue: 1, applyEvents: 0, finishInboxMany: 0 } },
    // (applyDue is still asked, for the other types, and applies none of these rows)
    { handlers: 'one for TOKEN_CANCELED', expected: { applyDue: 1, applyEvents: 1, finishInboxMany: 1 } },
  ])(
    'applies a batch in one store call when nothing runs after it, else lifecycle then finish (handlers: $handlers)',
    async ({ handlers, expected }) => {
      const { store, calls } = await counted();
      const t = await testReceiver({}, store);
      const seen: string[] = [];
      if (handlers !== 'none') t.receiver.on('TOKEN_CANCELED', (e) => void seen.push(e.id));
      for (const token of ['f-1', 'f-2', 'f-3'])
        expect((await t.send(canceled(token, 'left'))).status).toBe(200);
      expect(await t.receiver.drain()).toBe(3);
      // (the drain's last, empty pass asks applyDue again when nothing runs after the lifecycle)
      expect({ ...calls, applyDue: Math.min(calls.applyDue, 1) }).toEqual(expected);
      const rows = (await t.store.listInbox({ limit: 10 })).items;
      expect(rows.map((r) => [r.status, r.applied, r.outcome])).toEqual([
        ['PROCESSED', true, 'TOMBSTONED'],
        ['PROCESSED', true, 'TOMBSTONED'],
        ['PROCESSED', true, 'TOMBSTONED'],
      ]);
      expect(seen).toHaveLength(handlers === 'none' ? 0 : 3);
    },
  );
});
