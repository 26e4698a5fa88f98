/** `authnotify/store/postgres` — the PostgreSQL store for many processes on many machines. */
export { createPostgresStore, PostgresStore, type PostgresStoreOptions } from './postgres-store.js';
