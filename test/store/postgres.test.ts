import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { factsOf } from '../../src/authorization/facts.js';
import { poolConfig } from '../../src/store/postgres/connect.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { inboxRow, runStoreContract } from '../../src/testing/store-contract.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

const schema = freshSchema();
runStoreContract(
  'PostgreSQL',
  () => createPostgresStore({ connectionString: PG_URL, schema }),
  () => pgSkipReason,
);
afterAll(async () => {
  if (!pgSkipReason) await dropSchema(schema);
});

describe.skipIf(pgSkipReason !== undefined)('PostgreSQL locking', () => {
  const lockSchema = freshSchema('authnotify_locks');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(lockSchema);
  });

  it('renews leases without waiting for rows another transaction holds (it skips them)', async () => {
    const store = await createPostgresStore({ connectionString: PG_URL, schema: lockSchema });
    const rows = [inboxRow({ receivedAt: 1 }), inboxRow({ receivedAt: 1 })];
    for (const r of rows) await store.insertInbox(r);
    await store.claimInbox({ now: 10, limit: 10, leaseMs: 1000, owner: 'A' });
    // Another transaction (the pass's own lifecycle transaction, in the processor) holds the first row.
    const holder = new pg.Client({ connectionString: PG_URL });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query(`SELECT 1 FROM "${lockSchema}".inbox WHERE id = $1 FOR UPDATE`, [rows[0]?.id]);
    const renewed = await Promise.race([
      store.renewInboxLeases(
        rows.map((r) => r.id),
        'A',
        5000,
      ),
      new Promise<'blocked'>((resolve) => setTimeout(() => resolve('blocked'), 5000).unref()),
    ]);
    await holder.query('ROLLBACK');
    await holder.end();
    expect(renewed).toEqual([rows[1]?.id]);
    await store.close();
  });
});

describe.skipIf(pgSkipReason !== undefined)('PostgreSQL event feed', () => {
  const feedSchema = freshSchema('authnotify_feed');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(feedSchema);
  });

  it('never lets a reader pass an event whose transaction commits after a later-numbered one', async () => {
    const store = await createPostgresStore({ connectionString: PG_URL, schema: feedSchema });
    const start = await store.events.head();
    const insert = `INSERT INTO "${feedSchema}".events (id, type, authorization_id, inbox_id, payload, created_at)
      VALUES ($1, 'authorization.canceled', NULL, NULL, '{}', 1)`;
    // A slow writer takes its sequence number first and commits last.
    const slow = new pg.Client({ connectionString: PG_URL });
    await slow.connect();
    await slow.query('BEGIN');
    await slow.query(insert, ['slow']);
    const fast = new pg.Client({ connectionString: PG_URL });
    await fast.connect();
    await fast.query(insert, ['fast']);
    await fast.end();
    // While the slow writer is open, the fast one's event is held back too: a reader that took it would
    // move its position past the slow one's.
    const during = await store.events.feed({ after: start, limit: 10 });
    expect(during.items.map((e) => e.id)).toEqual([]);
    expect(await store.events.head()).toBe(start);
    await slow.query('COMMIT');
    await slow.end();
    const after = await store.events.feed({ after: during.next, limit: 10 });
    expect(after.items.map((e) => e.id).sort()).toEqual(['fast', 'slow']);
    // and the order is by writing transaction: the slow writer's transaction id is the older one
    expect(after.items.map((e) => e.id)).toEqual(['slow', 'fast']);
    await store.close();
  });
});

describe.skipIf(pgSkipReason !== undefined)('PostgreSQL prepared statements', () => {
  const prepSchema = freshSchema('authnotify_prepared');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(prepSchema);
  });

  it("plans every call with its parameters on the store's connections (no generic plan outlives a table's growth)", async () => {
    const pool = new pg.Pool(poolConfig({ connectionString: PG_URL }, prepSchema));
    try {
      const { rows } = await pool.query('SHOW plan_cache_mode');
      expect(rows[0]?.plan_cache_mode).toBe('force_custom_plan');
    } finally {
      await pool.end();
    }
  });

  it('runs a prepared statement again under a fresh name once a migration changed its table', async () => {
    // One connection: the second call meets the statement prepared by the first.
    const store = await createPostgresStore({
      connectionString: PG_URL,
      schema: prepSchema,
      maxConnections: 1,
    });
    try {
      await store.insertInbox(inboxRow({ receivedAt: 1 }));
      expect((await store.listInbox({ limit: 10 })).items).toHaveLength(1);
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`ALTER TABLE "${prepSchema}".inbox ADD COLUMN added_later TEXT`);
      await c.end();
      // Without the rename: "cached plan must not change result type".
      expect((await store.listInbox({ limit: 10 })).items).toHaveLength(1);
    } finally {
      await store.close();
    }
  });

  it('runs a transaction again when one of its prepared statements met a changed table', async () => {
    const store = await createPostgresStore({
      connectionString: PG_URL,
      schema: prepSchema,
      maxConnections: 1,
    });
    const due = (hash: string, at: number) =>
      inboxRow({
        receivedAt: at,
        eventKey: `TOKEN_CANCELED:${hash}`,
        facts: factsOf({ kind: 'TOKEN_CANCELED', tokenHash: hash }),
      });
    const request = { limit: 10, types: ['TOKEN_CANCELED'], acceptUnknownAuthState: true };
    try {
      await store.insertInbox(due('a'.repeat(64), 10));
      expect(await store.applyDue({ ...request, now: 20 })).toHaveLength(1);
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`ALTER TABLE "${prepSchema}".tombstones ADD COLUMN added_later TEXT`);
      await c.end();
      await store.insertInbox(due('b'.repeat(64), 30));
      expect(await store.applyDue({ ...request, now: 40 })).toMatchObject([{ outcome: 'TOMBSTONED' }]);
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(pgSkipReason !== undefined)('PostgreSQL inbox pages', () => {
  const pageSchema = freshSchema('authnotify_pages');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(pageSchema);
  });

  it('counts a duplicate without a new row version: inbox pages keep room for HOT updates', async () => {
    const store = await createPostgresStore({ connectionString: PG_URL, schema: pageSchema });
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    try {
      const options = await c.query(
        `SELECT reloptions FROM pg_class WHERE oid = '"${pageSchema}".inbox'::regclass`,
      );
      expect(options.rows[0]?.reloptions).toContain('fillfactor=80');
      // Enough rows to fill the first pages, then copies of the first row, which sits on a filled page.
      const rows = Array.from({ length: 40 }, () => inboxRow({ receivedAt: 1 }));
      for (const r of rows) await store.insertInbox(r);
      const first = rows[0] as (typeof rows)[number];
      for (let i = 0; i < 5; i++) await store.insertInbox({ ...first, id: `${first.id}-copy-${i}` });
      expect((await store.getInbox(first.id))?.duplicates).toBe(5);
      // Every count was a HOT update: the row rewritten on its page, no index entry added (on full pages
      // each would have been a new row version elsewhere, with an entry in every index).
      await until('the counts to reach the statistics', async () => {
        const { rows: stats } = await c.query(
          `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = '"${pageSchema}".inbox'::regclass`,
        );
        return Number(stats[0]?.n_tup_upd) >= 5;
      });
      const { rows: stats } = await c.query(
        `SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = '"${pageSchema}".inbox'::regclass`,
      );
      expect(Number(stats[0]?.n_tup_hot_upd)).toBe(Number(stats[0]?.n_tup_upd));
    } finally {
      await c.end();
      await store.close();
    }
  });
});

describe.skipIf(pgSkipReason !== undefined)('PostgreSQL group commit order', () => {
  const orderSchema = freshSchema('authnotify_order');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(orderSchema);
  });

  it('counts first after a batch of copies and inserts first after new ones, every row stored or counted once', async () => {
    const store = await createPostgresStore({ connectionString: PG_URL, schema: orderSchema });
    try {
      const a = inboxRow({ receivedAt: 1 });
      const b = inboxRow({ receivedAt: 2 });
      const copy = (row: typeof a, n: number) => ({ ...row, id: `${row.id}-copy-${n}`, receivedAt: 10 + n });
      // insert first: A is new; then a copy of A (the insert finds it taken, the count counts it)
      expect(await store.insertInbox(a)).toMatchObject({ outcome: 'inserted', id: a.id });
      expect(await store.insertInbox(copy(a, 1))).toMatchObject({
        outcome: 'duplicate',
        id: a.id,
        duplicates: 1,
      });
      // count first now: another copy of A is counted at once; B is not found by the count and is inserted
      expect(await store.insertInbox(copy(a, 2))).toMatchObject({
        outcome: 'duplicate',
        id: a.id,
        duplicates: 2,
      });
      expect(await store.insertInbox(b)).toMatchObject({ outcome: 'inserted', id: b.id });
      // a batch of both kinds at once (one group commit)
      const mixed = await Promise.all([
        store.insertInbox(copy(b, 3)),
        store.insertInbox(inboxRow({ receivedAt: 3 })),
      ]);
      expect(mixed.map((r) => r.outcome)).toEqual(['duplicate', 'inserted']);
      expect((await store.getInbox(a.id))?.duplicates).toBe(2);
      expect((await store.getInbox(b.id))?.duplicates).toBe(1);
      expect(await store.getInbox(`${a.id}-copy-1`)).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});
