/**
 * The SQLite store with its connection in a worker thread. better-sqlite3 is synchronous: on the
 * receiving thread every insert, claim and commit (and its fsync) stops request handling. Here the thread
 * that owns the connection does all of that, one call at a time in arrival order, and the receiving
 * thread only sends calls and gets answers. Same schema, same statements, same group commit and the same
 * durability (an insert is answered after its `synchronous=FULL` commit) as `createSqliteStore`.
 *
 * @example
 * const store = await createThreadedSqliteStore({ path: './authnotify.db' });
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AuthNotifyError } from '../../protocol/errors.js';
import type { EventStore } from '../event-types.js';
import type { SqliteStoreOptions } from '../sqlite/index.js';
import { outboxParams, SQL } from '../statements.js';
import type { NewOutboxRow, Store } from '../types.js';
import {
  type CallReply,
  EVENT_STORE_METHODS,
  type EventStoreCall,
  type StoreCall,
  toError,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
} from './messages.js';

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export class ThreadedSqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** The event log's calls go to the thread like the rest. */
  readonly events = Object.fromEntries(
    EVENT_STORE_METHODS.map((name) => [
      name,
      (...args: unknown[]) => this.#call(`events.${name}`, args as never),
    ]),
  ) as unknown as EventStore;
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #outgoing: WorkerRequest[] = [];
  #next = 0;
  #failure: AuthNotifyError | undefined;

  /** Use `createThreadedSqliteStore`, which waits for the worker to open the database. */
  constructor(worker: Worker, onBatch?: (size: number) => void) {
    this.#worker = worker;
    worker.unref();
    worker.on('message', (message: WorkerReply | CallReply[]) => {
      if (Array.isArray(message)) {
        for (const reply of message) {
          const pending = this.#pending.get(reply.id);
          if (!pending) continue;
          if (reply.ok) pending.resolve(reply.value);
          else pending.reject(toError(reply.error));
        }
      } else if ('batch' in message) onBatch?.(message.batch);
    });
    worker.on('error', (error) => this.#fail(`the SQLite thread failed: ${error.message}`));
    worker.on('exit', () => this.#fail('the SQLite thread has stopped'));
  }

  #fail(message: string): void {
    this.#failure ??= new AuthNotifyError('STORE_UNAVAILABLE', message);
    for (const pending of [...this.#pending.values()]) pending.reject(this.#failure);
  }

  #call<K extends StoreCall>(method: K | EventStoreCall, args: Parameters<Store[K]>): ReturnType<Store[K]> {
    return new Promise<unknown>((resolve, reject) => {
      if (this.#failure) {
        reject(this.#failure);
        return;
      }
      const id = this.#next++;
      // Pending calls keep the process alive, as the in-thread store's synchronous work would.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, {
        resolve: (value) => this.#settle(id, () => resolve(value)),
        reject: (error) => this.#settle(id, () => reject(error)),
      });
      if (this.#outgoing.length === 0) setImmediate(() => this.#send());
      this.#outgoing.push({ id, method, args });
    }) as ReturnType<Store[K]>;
  }

  /**
   * Sends the calls of one event-loop turn as one message (the thread answers a turn's results as one
   * message too): each message costs a wake-up of the other thread, and a burst of requests would
   * otherwise pay one per notification each way.
   */
  #send(): void {
    const calls = this.#outgoing;
    this.#outgoing = [];
    try {
      this.#worker.postMessage(calls);
    } catch {
      // Some call's arguments cannot be cloned (a function in a row, say): send the calls one by one so
      // that only those fail.
      for (const call of calls) {
        try {
          this.#worker.postMessage([call]);
        } catch (error) {
          this.#pending.get(call.id)?.reject(error);
        }
      }
    }
  }

  #settle(id: number, settle: () => void): void {
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#worker.unref();
    settle();
  }

  migrate(...args: Parameters<Store['migrate']>) {
    return this.#call('migrate', args);
  }
  schemaVersion() {
    return this.#call('schemaVersion', []);
  }
  ping() {
    return this.#call('ping', []);
  }
  claimSetting(...args: Parameters<Store['claimSetting']>) {
    return this.#call('claimSetting', args);
  }
  getSetting(...args: Parameters<Store['getSetting']>) {
    return this.#call('getSetting', args);
  }
  hasData() {
    return this.#call('hasData', []);
  }
  async close(): Promise<void> {
    if (this.#failure) return;
    const exited = new Promise((resolve) => this.#worker.once('exit', resolve));
    await this.#call('close', []);
    this.#failure = new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
    this.#worker.ref(); // keep the process up until the thread has ended
    await exited;
  }
  insertInbox(...args: Parameters<Store['insertInbox']>) {
    return this.#call('insertInbox', args);
  }
  claimInbox(...args: Parameters<Store['claimInbox']>) {
    return this.#call('claimInbox', args);
  }
  finishInbox(...args: Parameters<Store['finishInbox']>) {
    return this.#call('finishInbox', args);
  }
  getInbox(...args: Parameters<Store['getInbox']>) {
    return this.#call('getInbox', args);
  }
  listInbox(...args: Parameters<Store['listInbox']>) {
    return this.#call('listInbox', args);
  }
  listInboxAttempts(...args: Parameters<Store['listInboxAttempts']>) {
    return this.#call('listInboxAttempts', args);
  }
  inboxSince(...args: Parameters<Store['inboxSince']>) {
    return this.#call('inboxSince', args);
  }
  requeueInbox(...args: Parameters<Store['requeueInbox']>) {
    return this.#call('requeueInbox', args);
  }
  inboxActivity(...args: Parameters<Store['inboxActivity']>) {
    return this.#call('inboxActivity', args);
  }
  replayInbox(...args: Parameters<Store['replayInbox']>) {
    return this.#call('replayInbox', args);
  }
  countInbox() {
    return this.#call('countInbox', []);
  }
  // Lifecycle events are plain data: the thread decides them inside its own transaction.
  applyEvent(...args: Parameters<Store['applyEvent']>) {
    return this.#call('applyEvent', args);
  }
  applyEvents(...args: Parameters<Store['applyEvents']>) {
    return this.#call('applyEvents', args);
  }
  applyDue(...args: Parameters<Store['applyDue']>) {
    return this.#call('applyDue', args);
  }
  finishInboxMany(...args: Parameters<Store['finishInboxMany']>) {
    return this.#call('finishInboxMany', args);
  }
  renewInboxLeases(...args: Parameters<Store['renewInboxLeases']>) {
    return this.#call('renewInboxLeases', args);
  }
  claimCodeRedemption(...args: Parameters<Store['claimCodeRedemption']>) {
    return this.#call('claimCodeRedemption', args);
  }
  releaseCodeRedemption(...args: Parameters<Store['releaseCodeRedemption']>) {
    return this.#call('releaseCodeRedemption', args);
  }
  listExpiring(...args: Parameters<Store['listExpiring']>) {
    return this.#call('listExpiring', args);
  }
  enqueueOutbox(...args: Parameters<Store['enqueueOutbox']>) {
    return this.#call('enqueueOutbox', args);
  }
  outboxInsert(row: NewOutboxRow): { text: string; values: unknown[] } {
    return { text: SQL.insertOutbox, values: outboxParams(row) };
  }
  claimOutbox(...args: Parameters<Store['claimOutbox']>) {
    return this.#call('claimOutbox', args);
  }
  recordAttempt(...args: Parameters<Store['recordAttempt']>) {
    return this.#call('recordAttempt', args);
  }
  getOutbox(...args: Parameters<Store['getOutbox']>) {
    return this.#call('getOutbox', args);
  }
  listOutbox(...args: Parameters<Store['listOutbox']>) {
    return this.#call('listOutbox', args);
  }
  listAttempts(...args: Parameters<Store['listAttempts']>) {
    return this.#call('listAttempts', args);
  }
  countOutbox() {
    return this.#call('countOutbox', []);
  }
  redeliverOutbox(...args: Parameters<Store['redeliverOutbox']>) {
    return this.#call('redeliverOutbox', args);
  }
  cancelOutbox(...args: Parameters<Store['cancelOutbox']>) {
    return this.#call('cancelOutbox', args);
  }
  saveConsult(...args: Parameters<Store['saveConsult']>) {
    return this.#call('saveConsult', args);
  }
  getAuthorization(...args: Parameters<Store['getAuthorization']>) {
    return this.#call('getAuthorization', args);
  }
  getConsult(...args: Parameters<Store['getConsult']>) {
    return this.#call('getConsult', args);
  }
  listAuthorizations(...args: Parameters<Store['listAuthorizations']>) {
    return this.#call('listAuthorizations', args);
  }
  timeline(...args: Parameters<Store['timeline']>) {
    return this.#call('timeline', args);
  }
}

/** The worker's module: compiled JavaScript next to this file, or TypeScript under tsx (tests). */
function workerEntry(): { script: URL | string; eval?: true } {
  // Compiled: the thread inherits Node's flags (--cpu-prof and the like reach it too).
  if (!import.meta.url.endsWith('.ts')) return { script: new URL('./worker.js', import.meta.url) };
  const tsx = pathToFileURL(
    createRequire(import.meta.url)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  );
  const entry = new URL('./worker.ts', import.meta.url).href;
  return {
    script: `import(${JSON.stringify(tsx.href)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`,
    eval: true,
  };
}

/**
 * Opens a SQLite store whose connection lives in a worker thread; resolves once the database is open
 * and migrated, or rejects with STORE_UNAVAILABLE.
 *
 * @example
 * const store = await createThreadedSqliteStore({ path: './authnotify.db', onBatch: (n) => hist.observe(n) });
 */
export async function createThreadedSqliteStore(options: SqliteStoreOptions): Promise<ThreadedSqliteStore> {
  const { onBatch, ...rest } = options;
  const setup: WorkerSetup = { options: rest, reportBatches: onBatch !== undefined };
  const entry = workerEntry();
  const worker = new Worker(entry.script, {
    workerData: setup,
    ...(entry.eval ? { eval: true } : {}),
  });
  await new Promise<void>((resolve, reject) => {
    const onMessage = (reply: WorkerReply) => {
      if (!('ready' in reply)) return;
      worker.off('message', onMessage);
      worker.off('error', onError);
      if (reply.ready) resolve();
      else void worker.terminate().finally(() => reject(toError(reply.error)));
    };
    const onError = (error: Error) =>
      reject(new AuthNotifyError('STORE_UNAVAILABLE', `the SQLite thread did not start: ${error.message}`));
    worker.on('message', onMessage);
    worker.once('error', onError);
  });
  return new ThreadedSqliteStore(worker, onBatch);
}
