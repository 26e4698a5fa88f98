/** Connecting to PostgreSQL: the pool, its options, and the first migration. */
import type { PoolConfig } from 'pg';
import { loadPostgresDriver } from '../drivers.js';
import { quoteIdent } from './identifiers.js';
import { PostgresStore } from './postgres-store.js';

export interface PostgresStoreOptions {
  connectionString: string;
  /** Schema holding authnotify's tables (created if missing). Default `public`. */
  schema?: string;
  /** Pool size. Default 10. */
  maxConnections?: number;
  migrate?: boolean;
  now?: number;
  /** Connection timeout in ms. Default 5000. */
  connectTimeoutMs?: number;
  /** Largest number of inbox inserts per group commit (one multi-row statement). Default 64. */
  maxBatch?: number;
  /** Called with each group commit's size (metrics). */
  onBatch?: (size: number) => void;
}

/** @internal The pool's settings: every connection works in `schema`. */
export function poolConfig(options: PostgresStoreOptions, schema: string): PoolConfig {
  return {
    connectionString: options.connectionString,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    // Statements are prepared (prepared.ts) but planned on every call with their parameters: a generic
    // plan chosen while a table is small (a sequential scan of an empty tombstones table) would stay
    // on as the table grows.
    options: `-c search_path=${schema} -c plan_cache_mode=force_custom_plan`,
  };
}

/** Connects (and by default migrates). Throws STORE_UNAVAILABLE when PostgreSQL cannot be reached. */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<PostgresStore> {
  const schema = options.schema ?? 'public';
  quoteIdent(schema);
  const pg = await loadPostgresDriver();
  const pool = new pg.Pool(poolConfig(options, schema));
  // An idle client losing its connection must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  const store = new PostgresStore(pool, schema, {
    ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
    ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
  });
  if (options.migrate !== false) {
    try {
      await store.migrate(options.now ?? Date.now());
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw error;
    }
  }
  return store;
}
