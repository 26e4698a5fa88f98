/** Schema migrations on PostgreSQL: every pending version in one transaction, one migrator at a time. */
import type pg from 'pg';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../schema.js';
import { numbered, SQL } from '../statements.js';
import { quoteIdent } from './identifiers.js';

/** Applies the pending migrations on `client` (rolled back whole on failure); answers the versions applied. */
export async function migratePostgres(client: pg.PoolClient, schema: string, now: number): Promise<number[]> {
  try {
    await client.query('BEGIN');
    // One migrator at a time across processes.
    await client.query('SELECT pg_advisory_xact_lock(7345012)');
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(MIGRATIONS_TABLE);
    const done = new Set(
      (await client.query<{ version: number }>('SELECT version FROM authnotify_schema_migrations')).rows.map(
        (r) => r.version,
      ),
    );
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      for (const sql of migration.statements('postgres')) await client.query(sql);
      await client.query(numbered(SQL.insertMigration), [migration.version, migration.name, now]);
      applied.push(migration.version);
    }
    await client.query('COMMIT');
    return applied;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
