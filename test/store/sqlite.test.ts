import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import {
  createThreadedSqliteStore,
  ThreadedSqliteStore,
} from '../../src/store/sqlite-thread/thread-store.js';
import { inboxRow, runStoreContract } from '../../src/testing/store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'authnotify-sqlite-'));
runStoreContract(
  'SQLite (file, WAL, synchronous=FULL)',
  () => createSqliteStore({ path: join(dir, 'contract.db') }),
  () => undefined,
);
runStoreContract(
  'SQLite in a worker thread (file, WAL, synchronous=FULL)',
  () => createThreadedSqliteStore({ path: join(dir, 'threaded.db') }),
  () => undefined,
);
runStoreContract(
  'SQLite (:memory:)',
  () => createSqliteStore({ path: ':memory:' }),
  () => undefined,
);

describe('SQLite durability settings', () => {
  it('acknowledged inserts commit with synchronous=FULL, and processing writes leave it at FULL', async () => {
    const store = await createSqliteStore({ path: join(dir, 'sync.db') });
    expect(store.synchronousLevel()).toBe(2);
    await store.insertInbox(inboxRow({ receivedAt: 1 }));
    const [row] = await store.claimInbox({ now: 10, limit: 5, leaseMs: 1000, owner: 'A' });
    expect(store.synchronousLevel()).toBe(2);
    await store.finishInboxMany([
      { id: row?.id as string, owner: 'A', finish: { status: 'PROCESSED', now: 11 } },
    ]);
    expect(store.synchronousLevel()).toBe(2);
    await store.close();
  });
});

describe('SQLite in a worker thread', () => {
  it('rejects with STORE_UNAVAILABLE, naming the file, when the database cannot be opened', async () => {
    const path = join(dir, 'missing-directory', 'x.db');
    await expect(createThreadedSqliteStore({ path })).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining(path),
    });
  });

  it('rejects a call whose arguments cannot cross to the thread, and stays usable', async () => {
    const store = await createThreadedSqliteStore({ path: join(dir, 'clone.db') });
    const row = { ...inboxRow(), headers: { bad: (() => 'x') as unknown as string } };
    await expect(store.insertInbox(row)).rejects.toThrow(/could not be cloned/);
    await expect(store.insertInbox(inboxRow())).resolves.toMatchObject({ outcome: 'inserted' });
    await store.close();
  });

  it('fails pending and later calls with STORE_UNAVAILABLE when its thread dies', async () => {
    // A stand-in thread that takes one call and then dies, as a crashed SQLite thread would.
    const worker = new Worker(
      "require('node:worker_threads').parentPort.once('message', () => { throw new Error('boom'); });",
      { eval: true },
    );
    const store = new ThreadedSqliteStore(worker);
    await expect(store.countInbox()).rejects.toMatchObject({
      code: 'STORE_UNAVAILABLE',
      message: expect.stringContaining('boom'),
    });
    await expect(store.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
  });

  it('reports each group commit to onBatch from the thread', async () => {
    const sizes: number[] = [];
    const store = await createThreadedSqliteStore({
      path: join(dir, 'batches.db'),
      onBatch: (n) => sizes.push(n),
    });
    await Promise.all([1, 2, 3].map((i) => store.insertInbox(inboxRow({ receivedAt: i }))));
    await store.close();
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(3);
  });
});
