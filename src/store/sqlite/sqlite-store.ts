/**
 * The embedded default store: one SQLite file, WAL, `synchronous=FULL`, group commit for inbox inserts.
 * An acknowledgement means the notification is on disk.
 *
 * @example
 * const store = await createSqliteStore({ path: './authnotify.db' });
 */
import type Database from 'better-sqlite3';
import { AuthNotifyError } from '../../protocol/errors.js';
import { applyBatchSteps, applyOneSteps } from '../apply-batch.js';
import { applyDueSteps } from '../apply-due.js';
import {
  type Answer,
  driveSync,
  finishManySteps,
  type Query,
  recordAttemptSteps,
  saveConsultSteps,
} from '../apply-event.js';
import type { EventStore } from '../event-types.js';
import { type ReadQuery, reads } from '../reads.js';
import { type Row, storeError, toClaimedRow, toOutboxRecord } from '../rows.js';
import { SqlEventStore } from '../sql-event-store.js';
import { claimOutboxParams, claimParams, outboxParams, SQL } from '../statements.js';
import { insertInboxTransaction } from './insert-inbox.js';
import { migrateSqlite, sqliteSchemaVersion } from './migrate.js';

const CLAIM_SQLITE = SQL.claimInbox(false);
const CLAIM_OUTBOX_SQLITE = SQL.claimOutbox(false);

import type {
  AuthorizationRecord,
  ConsultRecord,
  LifecycleContext,
  LifecycleEvent,
} from '../../authorization/types.js';
import { GroupCommit } from '../group-commit.js';
import type {
  AppliedDue,
  ApplyEventInput,
  ApplyEventResult,
  AttemptRecord,
  AuthorizationFilter,
  ClaimedInboxRow,
  DueRequest,
  InboxClaim,
  InboxFilter,
  InboxFinish,
  InboxInsertResult,
  LifecycleApplication,
  NewInboxRow,
  NewOutboxRow,
  OutboxFilter,
  OutboxNext,
  OutboxRecord,
  Store,
} from '../types.js';

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly events: EventStore;
  readonly #db: Database.Database;
  readonly #inserts: GroupCommit<NewInboxRow, InboxInsertResult>;
  #closed = false;

  /** @internal Use the store's create function; the driver's types stay out of the published ones. */
  constructor(db: Database.Database, options: { maxBatch?: number; onBatch?: (size: number) => void } = {}) {
    this.#db = db;
    this.events = new SqlEventStore({
      dialect: 'sqlite',
      read: (query) => this.#read(query),
      // Like processing: no fsync of their own (see #relaxed); deliveries are made again after a power loss.
      transaction: async (what, steps) =>
        this.#relaxed(what, () => this.#db.transaction(() => driveSync(steps(), this.#exec)).immediate()),
    });
    const insertMany = insertInboxTransaction(db, (sql) => this.#prepare(sql), this.#exec);
    this.#inserts = new GroupCommit({
      commit: (rows) => insertMany.immediate(rows),
      ...(options.maxBatch === undefined ? {} : { maxBatch: options.maxBatch }),
      ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    });
  }

  #run<T>(what: string, fn: () => T): T {
    if (this.#closed) throw new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
    try {
      return fn();
    } catch (error) {
      if (error instanceof AuthNotifyError) throw error;
      throw storeError(error, what);
    }
  }

  /** Runs one of the shared single-statement reads on a cached prepared statement. */
  #read<T>(query: ReadQuery<T>): Promise<T> {
    return Promise.resolve(
      this.#run(query.what, () => query.shape(this.#prepare(query.sql).all(...query.params) as Row[])),
    );
  }

  /**
   * Runs processing-state writes (claims, lifecycle, outcomes) with synchronous=NORMAL: no fsync of their
   * own. They are not what an acknowledgement promises; WAL keeps them crash-consistent, the next FULL
   * commit (an inbox insert) syncs them too, and a power loss can only roll them back to an earlier
   * consistent state, from which the rows are processed again (at least once, as documented).
   */
  #relaxed<T>(what: string, fn: () => T): T {
    return this.#run(what, () => {
      this.#db.pragma('synchronous = NORMAL');
      try {
        return fn();
      } finally {
        this.#db.pragma('synchronous = FULL');
      }
    });
  }

  /** The connection's current synchronous level (FULL = 2), for tests. */
  synchronousLevel(): number {
    return this.#db.pragma('synchronous', { simple: true }) as number;
  }

  async migrate(now: number): Promise<number[]> {
    return this.#run('migrate', () => migrateSqlite(this.#db, now));
  }

  async schemaVersion(): Promise<number> {
    return this.#run('read the schema version', () => sqliteSchemaVersion(this.#db));
  }

  async ping(): Promise<void> {
    this.#run('write', () => {
      const now = Date.now();
      this.#prepare(SQL.touchProbe).run(String(now), now);
    });
  }

  async claimSetting(name: string, value: string, now: number): Promise<string> {
    return this.#run('store a setting', () => {
      const row = this.#prepare(SQL.claimSetting).get(name, value, now) as { value: string };
      return row.value;
    });
  }

  async getSetting(name: string): Promise<string | undefined> {
    return this.#run('read a setting', () => {
      const row = this.#prepare(SQL.getSetting).get(name) as { value: string } | undefined;
      return row?.value;
    });
  }

  async hasData(): Promise<boolean> {
    return this.#run(
      'look for stored data',
      () => (this.#prepare(SQL.hasData).get() as { v: number }).v === 1,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#inserts.flush();
    this.#closed = true;
    this.#db.close();
  }

  async insertInbox(row: NewInboxRow): Promise<InboxInsertResult> {
    if (this.#closed) throw new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
    try {
      return await this.#inserts.submit(row);
    } catch (error) {
      throw storeError(error, 'store the notification');
    }
  }

  async claimInbox(claim: InboxClaim): Promise<ClaimedInboxRow[]> {
    return this.#relaxed('claim inbox rows', () => {
      const rows = this.#prepare(CLAIM_SQLITE).all(...claimParams(claim, 'sqlite')) as Row[];
      return rows.map(toClaimedRow).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
    });
  }

  async finishInbox(id: string, owner: string, finish: InboxFinish): Promise<boolean> {
    return (await this.finishInboxMany([{ id, owner, finish }]))[0] === true;
  }

  async listInboxAttempts(inboxId: string) {
    return this.#read(reads.listInboxAttempts(inboxId));
  }

  async renewInboxLeases(ids: readonly string[], owner: string, leasedUntil: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.#relaxed('renew inbox leases', () =>
      (this.#prepare(SQL.renewInboxLeasesSqlite).all(leasedUntil, JSON.stringify(ids), owner) as Row[]).map(
        (r) => r.id as string,
      ),
    );
  }

  async getInbox(id: string) {
    return this.#read(reads.getInbox(id));
  }

  async listInbox(filter: InboxFilter) {
    return this.#read(reads.listInbox(filter));
  }

  async inboxSince(...args: Parameters<Store['inboxSince']>) {
    return this.#read(reads.inboxSince(...args));
  }

  async requeueInbox(...args: Parameters<Store['requeueInbox']>) {
    const id = await this.#read(reads.requeueInbox(...args));
    return id === undefined ? undefined : this.getInbox(id);
  }

  async inboxActivity(since: number, bucketMs: number) {
    return this.#read(reads.inboxActivity(since, bucketMs));
  }

  async replayInbox(id: string, now: number) {
    const replayed = await this.#read(reads.replayInbox(id, now));
    return replayed === undefined ? undefined : this.getInbox(replayed);
  }

  async countInbox() {
    return this.#read(reads.countInbox());
  }

  async applyEvent(
    input: ApplyEventInput,
    event: LifecycleEvent,
    ctx: LifecycleContext,
  ): Promise<ApplyEventResult> {
    return this.#run('apply a lifecycle event', () =>
      this.#db
        .transaction(() => driveSync(applyOneSteps({ input, event, ctx }, 'sqlite'), this.#exec))
        .immediate(),
    );
  }

  async applyEvents(events: readonly LifecycleApplication[]): Promise<ApplyEventResult[]> {
    return this.#relaxed('apply lifecycle events', () =>
      this.#db.transaction(() => driveSync(applyBatchSteps(events, 'sqlite'), this.#exec)).immediate(),
    );
  }

  async applyDue(request: DueRequest): Promise<AppliedDue[]> {
    return this.#relaxed('apply due notifications', () =>
      this.#db.transaction(() => driveSync(applyDueSteps('sqlite', request), this.#exec)).immediate(),
    );
  }

  async finishInboxMany(
    items: readonly { id: string; owner: string; finish: InboxFinish }[],
  ): Promise<boolean[]> {
    return this.#relaxed('finish inbox rows', () =>
      this.#db.transaction(() => driveSync(finishManySteps(items), this.#exec)).immediate(),
    );
  }

  async claimCodeRedemption(authCode: string, now: number): Promise<boolean> {
    return this.#run(
      'claim an authCode',
      () => this.#prepare(SQL.redeemCode).run(now, authCode).changes === 1,
    );
  }

  async releaseCodeRedemption(authCode: string): Promise<void> {
    this.#run('release an authCode', () => this.#prepare(SQL.releaseCode).run(authCode));
  }

  async listExpiring(before: number, limit: number) {
    return this.#read(reads.listExpiring(before, limit));
  }

  async enqueueOutbox(row: NewOutboxRow): Promise<void> {
    this.#run('enqueue a delivery', () => this.#prepare(SQL.insertOutbox).run(...outboxParams(row)));
  }

  outboxInsert(row: NewOutboxRow): { text: string; values: unknown[] } {
    return { text: SQL.insertOutbox, values: outboxParams(row) };
  }

  async claimOutbox(claim: InboxClaim): Promise<OutboxRecord[]> {
    return this.#relaxed('claim deliveries', () =>
      (this.#prepare(CLAIM_OUTBOX_SQLITE).all(...claimOutboxParams(claim)) as Row[])
        .map(toOutboxRecord)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt),
    );
  }

  async recordAttempt(attempt: AttemptRecord, next: OutboxNext, now: number): Promise<boolean> {
    return this.#relaxed('record a delivery attempt', () =>
      this.#db.transaction(() => driveSync(recordAttemptSteps(attempt, next, now), this.#exec)).immediate(),
    );
  }

  async getOutbox(id: string) {
    return this.#read(reads.getOutbox(id));
  }

  async listOutbox(filter: OutboxFilter) {
    return this.#read(reads.listOutbox(filter));
  }

  async listAttempts(outboxId: string) {
    return this.#read(reads.listAttempts(outboxId));
  }

  async countOutbox() {
    return this.#read(reads.countOutbox());
  }

  async redeliverOutbox(id: string, now: number) {
    return this.#read(reads.redeliverOutbox(id, now));
  }

  async cancelOutbox(id: string, now: number) {
    return this.#read(reads.cancelOutbox(id, now));
  }

  async saveConsult(
    consult: ConsultRecord,
    authorization: Omit<AuthorizationRecord, 'version'>,
  ): Promise<void> {
    this.#run('save a consult', () =>
      this.#db.transaction(() => driveSync(saveConsultSteps(consult, authorization), this.#exec)).immediate(),
    );
  }

  readonly #statements = new Map<string, Database.Statement>();

  /** Prepared statements are cached: compiling SQL costs more than running these small statements. */
  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  readonly #exec = (query: Query): Answer => {
    const statement = this.#prepare(query.sql);
    if (query.mode === 'all') return statement.all(...query.params) as Row[];
    return statement.run(...query.params).changes;
  };

  async getConsult(authState: string) {
    return this.#read(reads.getConsult(authState));
  }

  async getAuthorization(id: string) {
    return this.#read(reads.getAuthorization(id));
  }

  async listAuthorizations(filter: AuthorizationFilter) {
    return this.#read(reads.listAuthorizations(filter));
  }

  async timeline(authorizationId: string) {
    return this.#read(reads.timeline(authorizationId));
  }
}
