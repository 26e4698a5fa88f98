/** `authnotify/store/sqlite` — the embedded SQLite store (better-sqlite3, WAL, group commit). */
export { createSqliteStore, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
