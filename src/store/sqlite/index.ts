/** `authnotify/store/sqlite` — the embedded SQLite store (better-sqlite3, WAL, group commit). */
export { createPrivately, createSqliteStore, type SqliteStoreOptions } from './open.js';
export { SqliteStore } from './sqlite-store.js';
