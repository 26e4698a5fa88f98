import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, MIGRATIONS_TABLE } from '../../src/store/schema.js';
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

describe('SQLite schema upgrades', () => {
  it('reads rows stored before the headers moved to their own table (migration 8), and new rows from it', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'authnotify-upgrade-')), 'old.db');
    // A database as release 7 left it: every migration but the last, a row with its headers inline.
    const db = new Database(path);
    db.exec(MIGRATIONS_TABLE);
    for (const m of MIGRATIONS.filter((x) => x.version < 8)) {
      for (const sql of m.statements('sqlite')) db.exec(sql);
      db.prepare('INSERT INTO authnotify_schema_migrations (version, name, applied_at) VALUES (?, ?, 0)').run(
        m.version,
        m.name,
      );
    }
    const old = inboxRow({
      headers: {
        'Client-Id': 'OLD',
        'Request-Time': '1',
        Signature: 's',
        'Content-Type': 'application/json',
      },
    });
    db.prepare(
      `INSERT INTO inbox (id, event_key, type, status, raw_body, headers, path, matched_path, key_version, request_id,
        received_at, next_attempt_at, updated_at) VALUES (?, ?, ?, 'PENDING', ?, ?, ?, 'canonical', '1', ?, 1, 1, 1)`,
    ).run(
      old.id,
      old.eventKey,
      old.type,
      Buffer.from(old.rawBody),
      JSON.stringify(old.headers),
      old.path,
      old.requestId,
    );
    db.close();
    const store = await createSqliteStore({ path });
    expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
    expect((await store.getInbox(old.id))?.headers).toEqual(old.headers);
    const fresh = inboxRow({
      headers: {
        'Client-Id': 'NEW',
        'Request-Time': '2',
        Signature: 't',
        'Content-Type': 'application/json',
      },
    });
    await store.insertInbox(fresh);
    const listed = (await store.listInbox({ limit: 10 })).items;
    expect(Object.fromEntries(listed.map((r) => [r.id, r.headers['Client-Id']]))).toEqual({
      [old.id]: 'OLD',
      [fresh.id]: 'NEW',
    });
    await store.close();
  });
});
