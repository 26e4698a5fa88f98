/**
 * PostgreSQL store, for many `authnotify serve` processes on many machines. Every statement is its own
 * transaction except `applyEvent`/`saveConsult` (BEGIN … COMMIT with row locks) and claims, which use
 * FOR UPDATE SKIP LOCKED so concurrent workers never lease the same row.
 *
 * @example
 * const store = await createPostgresStore({ connectionString: 'postgres://postgres@127.0.0.1/test' });
 */
import type pg from 'pg';
import type {
  AuthorizationRecord,
  ConsultRecord,
  LifecycleContext,
  LifecycleEvent,
} from '../../authorization/types.js';
import { AuthNotifyError } from '../../protocol/errors.js';
import { applyBatchSteps, applyOneSteps } from '../apply-batch.js';
import { applyDueSteps } from '../apply-due.js';
import {
  type Answer,
  driveAsync,
  type Query,
  recordAttemptSteps,
  type Steps,
  saveConsultSteps,
} from '../apply-event.js';
import type { EventStore } from '../event-types.js';
import { GroupCommit } from '../group-commit.js';
import { type ReadQuery, reads } from '../reads.js';
import { type Row, storeError, toClaimedRow, toOutboxRecord } from '../rows.js';
import { SqlEventStore } from '../sql-event-store.js';
import {
  attemptLogParams,
  byColumn,
  claimOutboxParams,
  claimParams,
  finishParams,
  numbered,
  outboxParams,
  SQL,
} from '../statements.js';
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
import { type CheckedOut, checkout } from './checkout.js';
import { type InsertOrder, insertInboxRows } from './insert-inbox.js';
import { migratePostgres } from './migrate.js';
import { PreparedStatements } from './prepared.js';

/** PostgreSQL error codes worth retrying a transaction for: unique violation (a racing insert), deadlock, serialization. */
const RETRYABLE = new Set(['23505', '40P01', '40001']);

export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly events: EventStore;
  readonly #pool: pg.Pool;
  readonly #schema: string;
  readonly #inserts: GroupCommit<NewInboxRow, InboxInsertResult>;
  readonly #prepared = new PreparedStatements();
  readonly #insertOrder: InsertOrder = { countFirst: false };
  #closed = false;

  /** @internal Use the store's create function; the driver's types stay out of the published ones. */
  constructor(
    pool: pg.Pool,
    schema: string,
    options: { maxBatch?: number; onBatch?: (size: number) => void } = {},
  ) {
    this.#pool = pool;
    this.#schema = schema;
    this.events = new SqlEventStore({
      dialect: 'postgres',
      read: (query) => this.#read(query),
      transaction: (what, steps) => this.#transaction(what, steps),
    });
    this.#inserts = new GroupCommit({
      commit: (rows) => insertInboxRows(this.#pool, rows, this.#prepared, this.#insertOrder),
      keyOf: (row) => row.eventKey,
      maxBatch: options.maxBatch ?? 64,
      // Two inserts at a time: the rest wait and go as the next, larger batch. More in flight only
      // split the same load into smaller statements, each paying its own round trip, plan and commit.
      maxInFlight: 2,
      ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
    });
  }

  async #query(what: string, sql: string, params: unknown[] = []): Promise<pg.QueryResult<Row>> {
    if (this.#closed) throw new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#pool.query<Row>(this.#prepared.config(sql, params));
      } catch (error) {
        if (attempt === 1 && this.#prepared.renew(sql, error)) continue;
        throw storeError(error, what);
      }
    }
  }

  /** Runs one of the shared single-statement reads on the pool. */
  async #read<T>(query: ReadQuery<T>): Promise<T> {
    return query.shape((await this.#query(query.what, query.sql, query.params)).rows);
  }

  async #checkout(what: string): Promise<CheckedOut> {
    if (this.#closed) throw new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
    return checkout(this.#pool, what);
  }

  async #transaction<T>(what: string, steps: () => Steps<T>, attempts = 3): Promise<T> {
    const { client, done } = await this.#checkout(what);
    let failure: unknown;
    try {
      for (let attempt = 1; ; attempt++) {
        // A statement whose cached plan no longer fits its tables was renamed: run the transaction again.
        let renewed = false;
        try {
          await client.query('BEGIN');
          const result = await driveAsync(steps(), async (query: Query): Promise<Answer> => {
            try {
              const out = await client.query<Row>(this.#prepared.config(query.sql, query.params));
              return query.mode === 'all' ? out.rows : (out.rowCount ?? 0);
            } catch (error) {
              renewed = this.#prepared.renew(query.sql, error);
              throw error;
            }
          });
          await client.query('COMMIT');
          return result;
        } catch (error) {
          await client.query('ROLLBACK').catch(() => undefined);
          const code = (error as { code?: string }).code;
          // Rolled back on a statement whose cached plan no longer fit its table: run it again under its
          // new name, even where retries are off.
          if (renewed && attempt === 1) continue;
          const retry =
            (code !== undefined && RETRYABLE.has(code)) ||
            (error instanceof AuthNotifyError && error.code === 'CONFLICT');
          if (retry && attempt < attempts) continue;
          failure = error;
          if (error instanceof AuthNotifyError) throw error;
          throw storeError(error, what);
        }
      }
    } finally {
      done(failure);
    }
  }

  async migrate(now: number): Promise<number[]> {
    const { client, done } = await this.#checkout('connect to PostgreSQL');
    let failure: unknown;
    try {
      return await migratePostgres(client, this.#schema, now);
    } catch (error) {
      failure = error;
      throw storeError(error, 'migrate the PostgreSQL schema');
    } finally {
      done(failure);
    }
  }

  async schemaVersion(): Promise<number> {
    const exists = await this.#query(
      'read the schema version',
      "SELECT to_regclass('authnotify_schema_migrations') AS t",
    );
    if (exists.rows[0]?.t === null) return 0;
    const result = await this.#query('read the schema version', SQL.maxMigration);
    return Number(result.rows[0]?.v ?? 0);
  }

  async ping(): Promise<void> {
    const now = Date.now();
    await this.#query('write', SQL.touchProbe, [String(now), now]);
  }

  async claimSetting(name: string, value: string, now: number): Promise<string> {
    const result = await this.#query('store a setting', SQL.claimSetting, [name, value, now]);
    return result.rows[0]?.value as string;
  }

  async getSetting(name: string): Promise<string | undefined> {
    const result = await this.#query('read a setting', SQL.getSetting, [name]);
    return result.rows[0]?.value as string | undefined;
  }

  async hasData(): Promise<boolean> {
    const result = await this.#query('look for stored data', SQL.hasData);
    return Number(result.rows[0]?.v) === 1;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#inserts.drain();
    await this.#pool.end();
  }

  async insertInbox(row: NewInboxRow): Promise<InboxInsertResult> {
    if (this.#closed) throw new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
    return this.#inserts.submit(row);
  }

  async claimInbox(claim: InboxClaim): Promise<ClaimedInboxRow[]> {
    const result = await this.#query(
      'claim inbox rows',
      SQL.claimInbox(true),
      claimParams(claim, 'postgres'),
    );
    return result.rows.map(toClaimedRow).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
  }

  async finishInbox(id: string, owner: string, finish: InboxFinish): Promise<boolean> {
    return (await this.finishInboxMany([{ id, owner, finish }]))[0] === true;
  }

  async listInboxAttempts(inboxId: string) {
    return this.#read(reads.listInboxAttempts(inboxId));
  }

  async renewInboxLeases(ids: readonly string[], owner: string, leasedUntil: number): Promise<string[]> {
    if (ids.length === 0) return [];
    const result = await this.#query('renew inbox leases', SQL.renewInboxLeasesPostgres, [
      leasedUntil,
      [...ids],
      owner,
    ]);
    return result.rows.map((r) => r.id as string);
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

  applyEvent(
    input: ApplyEventInput,
    event: LifecycleEvent,
    ctx: LifecycleContext,
  ): Promise<ApplyEventResult> {
    return this.#transaction('apply a lifecycle event', () =>
      applyOneSteps({ input, event, ctx }, 'postgres'),
    );
  }

  applyEvents(events: readonly LifecycleApplication[]): Promise<ApplyEventResult[]> {
    return this.#transaction('apply lifecycle events', () => applyBatchSteps(events, 'postgres'));
  }

  applyDue(request: DueRequest): Promise<AppliedDue[]> {
    return this.#transaction('apply due notifications', () => applyDueSteps('postgres', request));
  }

  /** One statement for the whole batch: a round trip per row was most of a pass's wait under load. */
  async finishInboxMany(
    items: readonly { id: string; owner: string; finish: InboxFinish }[],
  ): Promise<boolean[]> {
    if (items.length === 0) return [];
    // Failed attempts are logged in the same statement (a data-modifying CTE); successes need no log.
    const logs = items.flatMap((item) => {
      const log = attemptLogParams(item.owner, item.finish);
      return log ? [[log[0], item.id, ...log.slice(1)]] : [];
    });
    const result = await this.#query('finish inbox rows', SQL.finishInboxMany, [
      ...byColumn(
        7,
        items.map((item) => finishParams(item.id, item.owner, item.finish)),
      ),
      ...byColumn(6, logs),
    ]);
    const finished = new Set(result.rows.map((r) => r.id as string));
    return items.map((item) => finished.has(item.id));
  }

  async claimCodeRedemption(authCode: string, now: number): Promise<boolean> {
    return (await this.#query('claim an authCode', SQL.redeemCode, [now, authCode])).rowCount === 1;
  }

  async releaseCodeRedemption(authCode: string): Promise<void> {
    await this.#query('release an authCode', SQL.releaseCode, [authCode]);
  }

  async listExpiring(before: number, limit: number) {
    return this.#read(reads.listExpiring(before, limit));
  }

  async enqueueOutbox(row: NewOutboxRow): Promise<void> {
    await this.#query('enqueue a delivery', SQL.insertOutbox, outboxParams(row));
  }

  outboxInsert(row: NewOutboxRow): { text: string; values: unknown[] } {
    return { text: numbered(SQL.insertOutbox), values: outboxParams(row) };
  }

  async claimOutbox(claim: InboxClaim): Promise<OutboxRecord[]> {
    const result = await this.#query('claim deliveries', SQL.claimOutbox(true), claimOutboxParams(claim));
    return result.rows.map(toOutboxRecord).sort((a, b) => a.nextAttemptAt - b.nextAttemptAt);
  }

  recordAttempt(attempt: AttemptRecord, next: OutboxNext, now: number): Promise<boolean> {
    return this.#transaction('record a delivery attempt', () => recordAttemptSteps(attempt, next, now), 1);
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

  saveConsult(consult: ConsultRecord, authorization: Omit<AuthorizationRecord, 'version'>): Promise<void> {
    return this.#transaction('save a consult', () => saveConsultSteps(consult, authorization), 1);
  }

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
