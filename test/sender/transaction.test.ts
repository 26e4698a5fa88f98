import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSchedule } from '../../src/protocol/schedule.js';
import { createSender } from '../../src/sender/sender.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';

const notification = {
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken: 'T-tx',
  result: { resultCode: 'SUCCESS', resultStatus: 'S' },
};
const options = {
  clientId: 'C',
  privateKey: fixtureText('keys/alipay-v1.private.pem'),
  schedule: parseSchedule('once'),
};

describe('enqueue inside the caller’s transaction', () => {
  it('SQLite: the delivery exists only if the caller’s transaction commits', async () => {
    const path = `/tmp/authnotify-tx-${Date.now()}.db`;
    const store = await createSqliteStore({ path });
    const sender = await createSender({ store, ...options });
    const db = new Database(path);
    db.exec('CREATE TABLE orders (id TEXT PRIMARY KEY)');
    const executor = { query: (text: string, values: unknown[]) => db.prepare(text).run(...values) };
    // better-sqlite3 transactions are synchronous; BEGIN/COMMIT by hand lets the async enqueue run inside.
    db.exec('BEGIN');
    db.prepare('INSERT INTO orders (id) VALUES (?)').run('o-1');
    const rolledBack = await sender.enqueue({
      notification,
      to: 'http://127.0.0.1:1/n',
      transaction: executor,
    });
    db.exec('ROLLBACK');
    db.exec('BEGIN');
    db.prepare('INSERT INTO orders (id) VALUES (?)').run('o-2');
    const committed = await sender.enqueue({
      notification,
      to: 'http://127.0.0.1:1/n',
      transaction: executor,
    });
    db.exec('COMMIT');
    expect(await store.getOutbox(rolledBack)).toBeUndefined();
    expect((await store.getOutbox(committed))?.status).toBe('PENDING');
    db.close();
    await sender.close();
    await store.close();
  });

  const schema = freshSchema('authnotify_tx');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(schema);
  });

  it.skipIf(pgSkipReason !== undefined)(
    'PostgreSQL: the delivery exists only if the caller’s transaction commits',
    async () => {
      const store = await createPostgresStore({ connectionString: PG_URL, schema });
      const sender = await createSender({ store, ...options });
      const client = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
      await client.connect();
      try {
        await client.query('BEGIN');
        const rolledBack = await sender.enqueue({
          notification,
          to: 'http://127.0.0.1:1/n',
          transaction: client,
        });
        await client.query('ROLLBACK');
        await client.query('BEGIN');
        const committed = await sender.enqueue({
          notification,
          to: 'http://127.0.0.1:1/n',
          transaction: client,
        });
        await client.query('COMMIT');
        expect(await store.getOutbox(rolledBack)).toBeUndefined();
        expect((await store.getOutbox(committed))?.status).toBe('PENDING');
      } finally {
        await client.end();
        await sender.close();
        await store.close();
      }
    },
  );
});
