/** `authnotify/store/postgres` — the PostgreSQL store for many processes on many machines. */
export { createPostgresStore, type PostgresStoreOptions } from './connect.js';
export { PostgresStore } from './postgres-store.js';
