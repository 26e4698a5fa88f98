import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../src/store/group-commit.js';

interface Item {
  key: string;
  n: number;
}

/** A recorder of commits: synchronous or asynchronous, failing on request. */
function recorder(mode: 'sync' | 'async', failWhen: (items: Item[]) => boolean = () => false) {
  const batches: string[][] = [];
  const commit = (items: Item[]) => {
    batches.push(items.map((i) => `${i.key}${i.n}`));
    if (mode === 'sync') {
      if (failWhen(items)) throw new Error('disk full');
      return items.map((i) => i.n * 10);
    }
    return new Promise<number[]>((resolve, reject) =>
      setImmediate(() =>
        failWhen(items) ? reject(new Error('connection lost')) : resolve(items.map((i) => i.n * 10)),
      ),
    );
  };
  return { batches, commit };
}

const item = (key: string, n: number): Item => ({ key, n });

describe.each(['sync', 'async'] as const)('group commit (%s commit)', (mode) => {
  it('commits what arrives in one turn together and answers each caller with its own result', async () => {
    const r = recorder(mode);
    const group = new GroupCommit<Item, number>({ commit: r.commit });
    const answers = await Promise.all([1, 2, 3].map((n) => group.submit(item('k', n))));
    expect(answers).toEqual([10, 20, 30]);
    expect(r.batches).toEqual([['k1', 'k2', 'k3']]);
  });

  it('splits a turn into batches of at most maxBatch', async () => {
    const r = recorder(mode);
    const sizes: number[] = [];
    const group = new GroupCommit<Item, number>({
      commit: r.commit,
      maxBatch: 2,
      onBatch: (n) => sizes.push(n),
    });
    await Promise.all([1, 2, 3, 4, 5].map((n) => group.submit(item(`k${n}`, n))));
    expect(r.batches.map((b) => b.length)).toEqual([2, 2, 1]);
    expect(sizes).toEqual([2, 2, 1]);
  });

  it('never puts two items with the same key in one batch, and keeps the others in order', async () => {
    const r = recorder(mode);
    const group = new GroupCommit<Item, number>({ commit: r.commit, keyOf: (i) => i.key });
    const answers = await Promise.all(
      [item('a', 1), item('b', 2), item('a', 3), item('c', 4), item('a', 5)].map((i) => group.submit(i)),
    );
    expect(answers).toEqual([10, 20, 30, 40, 50]);
    expect(r.batches).toEqual([['a1', 'b2', 'c4'], ['a3'], ['a5']]);
  });

  it('fails only the callers of the batch whose commit failed', async () => {
    const r = recorder(mode, (items) => items.some((i) => i.n === 2));
    const group = new GroupCommit<Item, number>({ commit: r.commit, maxBatch: 2 });
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => group.submit(item(`k${n}`, n))));
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });
});

describe('group commit ordering by key', () => {
  it('starts a batch with a repeated key only after the batch holding its first copy has committed', async () => {
    const events: string[] = [];
    const group = new GroupCommit<Item, number>({
      keyOf: (i) => i.key,
      commit: (items) => {
        const names = items.map((i) => `${i.key}${i.n}`).join(',');
        events.push(`start ${names}`);
        return new Promise((resolve) =>
          setTimeout(() => {
            events.push(`end ${names}`);
            resolve(items.map((i) => i.n));
          }, 5),
        );
      },
    });
    const first = [group.submit(item('a', 1)), group.submit(item('b', 2))];
    await new Promise((r) => setImmediate(r)); // the first batch is in flight
    const later = [group.submit(item('a', 3)), group.submit(item('c', 4))];
    await Promise.all([...first, ...later]);
    expect(events).toEqual(['start a1,b2', 'start c4', 'end a1,b2', 'start a3', 'end c4', 'end a3']);
  });
});

describe('group commit drain', () => {
  it('commits what is queued and waits for batches in flight before it resolves', async () => {
    const r = recorder('async');
    const group = new GroupCommit<Item, number>({ commit: r.commit });
    let answered = 0;
    for (const n of [1, 2]) void group.submit(item('k', n)).then(() => answered++);
    await group.drain();
    expect(r.batches).toEqual([['k1', 'k2']]);
    await Promise.resolve();
    expect(answered).toBe(2);
  });
});

describe('group commit with maxInFlight', () => {
  it('holds what arrives while the limit is in flight, then commits it as one batch', async () => {
    const batches: number[][] = [];
    const open: (() => void)[] = [];
    const group = new GroupCommit<number, number>({
      maxInFlight: 1,
      commit: (items) => {
        batches.push([...items]);
        return new Promise<number[]>((resolve) => open.push(() => resolve(items)));
      },
    });
    const first = group.submit(1);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4].map((n) => group.submit(n));
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]); // still one in flight: the others wait
    open.shift()?.();
    expect(await first).toBe(1);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1], [2, 3, 4]]);
    open.shift()?.();
    expect(await Promise.all(later)).toEqual([2, 3, 4]);
  });

  it('drains every held batch on shutdown', async () => {
    const committed: number[] = [];
    const group = new GroupCommit<number, number>({
      maxInFlight: 1,
      maxBatch: 2,
      commit: async (items) => {
        await new Promise((r) => setImmediate(r));
        committed.push(...items);
        return items;
      },
    });
    const answers = [1, 2, 3, 4, 5].map((n) => group.submit(n));
    await group.drain();
    expect(committed).toEqual([1, 2, 3, 4, 5]);
    expect(await Promise.all(answers)).toEqual([1, 2, 3, 4, 5]);
  });
});
