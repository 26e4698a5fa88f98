/** Opening a SQLite database for the store: a private file, WAL, FULL sync, and the first migration. */
import { closeSync, openSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { loadSqliteDriver } from '../drivers.js';
import { storeError } from '../rows.js';
import { SqliteStore } from './sqlite-store.js';

export interface SqliteStoreOptions {
  /** File path, or `:memory:` for a throwaway store (tests, `authnotify send`). */
  path: string;
  /** Apply migrations on open. Default true. */
  migrate?: boolean;
  /** Epoch ms for the migration record; default Date.now() (startup only, not logic). */
  now?: number;
  /** Largest number of inserts per group commit. Default 512. */
  maxBatch?: number;
  /** Called with each group commit's size (metrics). */
  onBatch?: (size: number) => void;
}

/** Opens (and by default migrates) a SQLite store. Throws STORE_UNAVAILABLE naming the file on failure. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  const Driver = await loadSqliteDriver();
  let db: Database.Database;
  try {
    createPrivately(options.path);
    db = new Driver(options.path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.pragma('foreign_keys = ON');
  } catch (error) {
    throw storeError(error, `open the SQLite database ${options.path}`);
  }
  const store = new SqliteStore(db, options);
  if (options.migrate !== false) await store.migrate(options.now ?? Date.now());
  return store;
}

/**
 * Creates a missing database file with mode 0600 before SQLite opens it: the file holds sealed bodies and
 * token hashes, and SQLite gives its -wal and -shm files the database file's mode.
 */
export function createPrivately(path: string): void {
  if (path === ':memory:' || path === '' || path.startsWith('file:')) return;
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
