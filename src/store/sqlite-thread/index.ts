/** `authnotify/store/sqlite-thread` — the SQLite store with its connection in a worker thread. */
export { createThreadedSqliteStore, ThreadedSqliteStore } from './thread-store.js';
