/**
 * The embedded default store: one SQLite file, WAL, `synchronous=FULL`, group commit for inbox inserts.
 * An acknowledgement means the notification is on disk.
 *
 * @example
 * const store = await createSqliteStore({ path: './authnotify.db' });
 */
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { AuthNotifyError } from '../../protocol/errors.js';
import {
  type Answer,
  applyEventSteps,
  applyEventsSteps,
  driveSync,
  finishManySteps,
  type Query,
  recordAttemptSteps,
  saveConsultSteps,
} from '../apply-event.js';
import {
  countsByStatus,
  decodeCursor,
  encodeCursor,
  page,
  type Row,
  storeError,
  toAttemptRecord,
  toAuthorizationRecord,
  toConsultRecord,
  toInboxRecord,
  toOutboxRecord,
  toTimelineEntry,
} from '../rows.js';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../schema.js';
import {
  claimParams,
  finishParams,
  inboxParams,
  outboxParams,
  pageQuery,
  requeueQuery,
  SQL,
} from '../statements.js';

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
  ApplyEventInput,
  ApplyEventResult,
  AttemptRecord,
  AuthorizationFilter,
  InboxClaim,
  InboxFilter,
  InboxFinish,
  InboxInsertResult,
  InboxRecord,
  InboxStatus,
  LifecycleApplication,
  NewInboxRow,
  NewOutboxRow,
  OutboxFilter,
  OutboxNext,
  OutboxRecord,
  Page,
  Store,
  TimelineEntry,
} from '../types.js';
import { INBOX_STATUSES, OUTBOX_STATUSES, type OutboxStatus } from '../types.js';

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

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly #db: Database.Database;
  readonly #inserts: GroupCommit<NewInboxRow, InboxInsertResult>;
  #closed = false;

  constructor(db: Database.Database, options: SqliteStoreOptions) {
    this.#db = db;
    // Prepared on first use: the table does not exist until migrations have run.
    let insert: Database.Statement | undefined;
    const insertMany = db.transaction((rows: NewInboxRow[]) =>
      rows.map((row) => {
        insert ??= db.prepare(SQL.insertInbox);
        const result = insert.get(...inboxParams(row)) as { id: string; duplicates: number };
        return {
          outcome: result.duplicates === 0 ? 'inserted' : 'duplicate',
          id: result.id,
          duplicates: result.duplicates,
        } satisfies InboxInsertResult;
      }),
    );
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
    return this.#run('migrate', () => {
      this.#db.exec(MIGRATIONS_TABLE);
      const done = new Set(
        (
          this.#prepare('SELECT version FROM authnotify_schema_migrations').all() as { version: number }[]
        ).map((r) => r.version),
      );
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        this.#db
          .transaction(() => {
            for (const sql of migration.statements('sqlite')) this.#db.exec(sql);
            this.#prepare(SQL.insertMigration).run(migration.version, migration.name, now);
          })
          .immediate();
        applied.push(migration.version);
      }
      return applied;
    });
  }

  async schemaVersion(): Promise<number> {
    return this.#run('read the schema version', () => {
      const exists = this.#db
        .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'authnotify_schema_migrations'")
        .get();
      if (!exists) return 0;
      const row = this.#prepare(SQL.maxMigration).get() as { v: number | null };
      return row.v ?? 0;
    });
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

  async claimInbox(claim: InboxClaim): Promise<InboxRecord[]> {
    return this.#relaxed('claim inbox rows', () => {
      const rows = this.#prepare(CLAIM_SQLITE).all(...claimParams(claim)) as Row[];
      return rows.map(toInboxRecord).sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
    });
  }

  async finishInbox(id: string, owner: string, finish: InboxFinish): Promise<boolean> {
    return this.#relaxed('finish an inbox row', () => {
      const result = this.#prepare(SQL.finishInbox).run(...finishParams(id, owner, finish));
      return result.changes === 1;
    });
  }

  async renewInboxLeases(ids: readonly string[], owner: string, leasedUntil: number): Promise<string[]> {
    if (ids.length === 0) return [];
    return this.#relaxed('renew inbox leases', () =>
      (this.#prepare(SQL.renewInboxLeasesSqlite).all(leasedUntil, JSON.stringify(ids), owner) as Row[]).map(
        (r) => r.id as string,
      ),
    );
  }

  async getInbox(id: string): Promise<InboxRecord | undefined> {
    return this.#run('read an inbox row', () => {
      const row = this.#prepare(SQL.getInbox).get(id) as Row | undefined;
      return row ? toInboxRecord(row) : undefined;
    });
  }

  async listInbox(filter: InboxFilter): Promise<Page<InboxRecord>> {
    const cursor = decodeCursor(filter.cursor);
    const { sql, params } = pageQuery(
      'inbox',
      'received_at',
      [
        ['status', filter.status],
        ['type', filter.type],
      ],
      cursor,
      filter.limit,
    );
    return this.#run('list the inbox', () => {
      const rows = (this.#prepare(sql).all(...params) as Row[]).map(toInboxRecord);
      return page(rows, filter.limit, (r) => encodeCursor(r.receivedAt, r.id));
    });
  }

  async requeueInbox(
    id: string,
    now: number,
    reclassified?: { eventKey: string; type: string; violations: null },
  ): Promise<InboxRecord | undefined> {
    return this.#run('requeue an inbox row', () => {
      const { sql, params } = requeueQuery(id, now, reclassified);
      const row = this.#prepare(sql).get(...params) as Row | undefined;
      return row ? toInboxRecord(row) : undefined;
    });
  }

  async countInbox(): Promise<Record<InboxStatus, number>> {
    return this.#run('count the inbox', () =>
      countsByStatus(INBOX_STATUSES, this.#prepare(SQL.countInbox).all() as Row[]),
    );
  }

  async applyEvent(
    input: ApplyEventInput,
    event: LifecycleEvent,
    ctx: LifecycleContext,
  ): Promise<ApplyEventResult> {
    return this.#run('apply a lifecycle event', () =>
      this.#db
        .transaction(() => driveSync(applyEventSteps(input, event, ctx, false), this.#exec))
        .immediate(),
    );
  }

  async applyEvents(events: readonly LifecycleApplication[]): Promise<ApplyEventResult[]> {
    return this.#relaxed('apply lifecycle events', () =>
      this.#db.transaction(() => driveSync(applyEventsSteps(events, false), this.#exec)).immediate(),
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

  async listExpiring(before: number, limit: number): Promise<AuthorizationRecord[]> {
    return this.#run('list expiring tokens', () =>
      (this.#prepare(SQL.listExpiring).all(before, limit) as Row[]).map(toAuthorizationRecord),
    );
  }

  async enqueueOutbox(row: NewOutboxRow): Promise<void> {
    this.#run('enqueue a delivery', () => this.#prepare(SQL.insertOutbox).run(...outboxParams(row)));
  }

  outboxInsert(row: NewOutboxRow): { text: string; values: unknown[] } {
    return { text: SQL.insertOutbox, values: outboxParams(row) };
  }

  async claimOutbox(claim: InboxClaim): Promise<OutboxRecord[]> {
    return this.#relaxed('claim deliveries', () =>
      (this.#prepare(CLAIM_OUTBOX_SQLITE).all(...claimParams(claim)) as Row[])
        .map(toOutboxRecord)
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt),
    );
  }

  async recordAttempt(attempt: AttemptRecord, next: OutboxNext, now: number): Promise<boolean> {
    return this.#relaxed('record a delivery attempt', () =>
      this.#db.transaction(() => driveSync(recordAttemptSteps(attempt, next, now), this.#exec)).immediate(),
    );
  }

  async getOutbox(id: string): Promise<OutboxRecord | undefined> {
    return this.#run('read a delivery', () => {
      const row = this.#prepare(SQL.getOutbox).get(id) as Row | undefined;
      return row ? toOutboxRecord(row) : undefined;
    });
  }

  async listOutbox(filter: OutboxFilter): Promise<Page<OutboxRecord>> {
    const cursor = decodeCursor(filter.cursor);
    const { sql, params } = pageQuery(
      'outbox',
      'created_at',
      [['status', filter.status]],
      cursor,
      filter.limit,
    );
    return this.#run('list deliveries', () => {
      const rows = (this.#prepare(sql).all(...params) as Row[]).map(toOutboxRecord);
      return page(rows, filter.limit, (r) => encodeCursor(r.createdAt, r.id));
    });
  }

  async listAttempts(outboxId: string): Promise<AttemptRecord[]> {
    return this.#run('list delivery attempts', () =>
      (this.#prepare(SQL.listAttempts).all(outboxId) as Row[]).map(toAttemptRecord),
    );
  }

  async countOutbox(): Promise<Record<OutboxStatus, number>> {
    return this.#run('count deliveries', () =>
      countsByStatus(OUTBOX_STATUSES, this.#prepare(SQL.countOutbox).all() as Row[]),
    );
  }

  async redeliverOutbox(id: string, now: number): Promise<OutboxRecord | undefined> {
    return this.#run('redeliver', () => {
      const row = this.#prepare(SQL.redeliverOutbox).get(now, now, id) as Row | undefined;
      return row ? toOutboxRecord(row) : undefined;
    });
  }

  async cancelOutbox(id: string, now: number): Promise<OutboxRecord | undefined> {
    return this.#run('cancel a delivery', () => {
      const row = this.#prepare(SQL.cancelOutbox).get(now, id) as Row | undefined;
      return row ? toOutboxRecord(row) : undefined;
    });
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
    return query.mode === 'get'
      ? (statement.get(...query.params) as Row | undefined)
      : statement.run(...query.params).changes;
  };

  async getConsult(authState: string): Promise<ConsultRecord | undefined> {
    return this.#run('read a consult', () => {
      const row = this.#prepare(SQL.consultBy(false)).get(authState) as Row | undefined;
      return row ? toConsultRecord(row) : undefined;
    });
  }

  async getAuthorization(id: string): Promise<AuthorizationRecord | undefined> {
    return this.#run('read an authorization', () => {
      const row = this.#prepare(SQL.authorizationBy('id', false)).get(id) as Row | undefined;
      return row ? toAuthorizationRecord(row) : undefined;
    });
  }

  async listAuthorizations(filter: AuthorizationFilter): Promise<Page<AuthorizationRecord>> {
    const cursor = decodeCursor(filter.cursor);
    const filters: [string, string | undefined][] = [
      ['status', filter.status],
      ['auth_state', filter.authState],
      ['token_hash', filter.tokenHash],
      ['merchant_user_id', filter.merchantUserId],
    ];
    const { sql, params } = pageQuery('authorizations', 'updated_at', filters, cursor, filter.limit);
    return this.#run('list authorizations', () => {
      const rows = (this.#prepare(sql).all(...params) as Row[]).map(toAuthorizationRecord);
      return page(rows, filter.limit, (r) => encodeCursor(r.updatedAt, r.id));
    });
  }

  async timeline(authorizationId: string): Promise<TimelineEntry[]> {
    return this.#run('read a timeline', () =>
      (this.#prepare(SQL.timeline).all(authorizationId) as Row[]).map(toTimelineEntry),
    );
  }
}

/** Opens (and by default migrates) a SQLite store. Throws STORE_UNAVAILABLE naming the file on failure. */
export async function createSqliteStore(options: SqliteStoreOptions): Promise<SqliteStore> {
  let db: Database.Database;
  try {
    createPrivately(options.path);
    db = new Database(options.path);
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
