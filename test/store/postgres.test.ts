import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { inboxRow, runStoreContract } from '../../src/testing/store-contract.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';

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
