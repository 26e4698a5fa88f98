/**
 * SQL for both stores, written with `?` placeholders; the PostgreSQL store numbers them. The claim queries
 * differ (PostgreSQL adds FOR UPDATE SKIP LOCKED so concurrent workers never share a row), and a few
 * statements are one store's own (the batch statements of PostgreSQL's round-trip-saving paths, the
 * lease renewal in each dialect); their doc comments say which.
 */
import { uuidv7 } from '../protocol/ids.js';
import { AUTHORIZATION_COLUMNS } from './rows.js';
import type {
  AttemptRecord,
  InboxClaim,
  InboxFinish,
  NewInboxRow,
  NewOutboxRow,
  OutboxNext,
} from './types.js';

/** The columns a claim returns (ClaimedInboxRow). */
const CLAIMED_COLUMNS =
  'id, event_key, type, status, raw_body, attempts, lease_owner, leased_until, next_attempt_at, applied, received_at';

const INSERT_INBOX = `INSERT INTO inbox (id, event_key, type, status, raw_body, headers, path, matched_path,
    key_version, violations, request_id, received_at, next_attempt_at, updated_at, facts)`;
const INBOX_ROW = `(${Array.from({ length: 15 }, () => '?').join(', ')})`;

/**
 * `?::t1[], ?::t2[], …`: one array parameter per column (PostgreSQL's `unnest`), so that a statement's text
 * stays the same whatever the number of rows.
 */
export function arrayPlaceholders(types: readonly string[]): string {
  return types.map((t) => `?::${t}[]`).join(', ');
}

/** Rows (arrays of `width` values) as `width` columns, the parameters of arrayPlaceholders. */
export function byColumn(width: number, rows: Iterable<readonly unknown[]>): unknown[][] {
  const columns: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i++) columns[i]?.push(row[i] ?? null);
  return columns;
}

/** The PostgreSQL types of inboxParams, in order (the casts of SQL.insertInboxColumns's arrays). */
export const INBOX_COLUMN_TYPES = [
  'text', // id
  'text', // event_key
  'text', // type
  'text', // status
  'bytea', // raw_body
  'text', // headers
  'text', // path
  'text', // matched_path
  'text', // key_version
  'text', // violations
  'text', // request_id
  'bigint', // received_at
  'bigint', // next_attempt_at
  'bigint', // updated_at
  'text', // facts
] as const;

/** The inbox with its headers, which new rows keep in inbox_headers (migration 8). */
export const INBOX_FROM = 'inbox LEFT JOIN inbox_headers USING (id)';

export const SQL = {
  /** Parameters: inboxHeadersParams. */
  insertInboxHeaders: 'INSERT INTO inbox_headers (id, raw_headers) VALUES (?, ?) ON CONFLICT (id) DO NOTHING',
  /** Stores one notification; a known event key bumps its counter instead. Parameters: inboxParams. */
  insertInbox: `${INSERT_INBOX} VALUES ${INBOX_ROW}
    ON CONFLICT (event_key) DO UPDATE SET duplicates = inbox.duplicates + 1, last_duplicate_at = excluded.received_at
    RETURNING id, duplicates`,
  /**
   * Stores a batch of notifications in one statement (PostgreSQL's group commit; parameters: inboxParams
   * by column, each column one array, so that the text is the same whatever the batch size and is
   * prepared once per connection) and answers the ones it inserted, with their event keys, since
   * PostgreSQL does not promise RETURNING rows in input order. Known event keys are left out and then
   * counted in one statement with countDuplicates, which locks them in id order (an upsert would lock
   * them in its own order and could deadlock with a processor transaction).
   */
  insertInboxColumns: `${INSERT_INBOX} SELECT * FROM unnest(${arrayPlaceholders(INBOX_COLUMN_TYPES)})
    ON CONFLICT (event_key) DO NOTHING RETURNING id, event_key`,
  /**
   * Counts one more copy of each of these stored notifications (PostgreSQL; parameters: the event keys,
   * the times received, as two arrays), locking them in id order; answers id, event key and the new count.
   */
  countDuplicates: `WITH v(event_key, at) AS (SELECT * FROM unnest(?::text[], ?::bigint[])),
      locked AS (SELECT inbox.id FROM inbox JOIN v ON inbox.event_key = v.event_key ORDER BY inbox.id FOR UPDATE OF inbox)
    UPDATE inbox SET duplicates = inbox.duplicates + 1, last_duplicate_at = v.at
    FROM v WHERE inbox.event_key = v.event_key AND inbox.id IN (SELECT id FROM locked)
    RETURNING inbox.id, inbox.event_key, inbox.duplicates`,
  /**
   * Due rows and rows whose lease expired, each found through its partial index; up to `limit` of each.
   * Parameters: claimParams; the types left to applyDue are one parameter (an array on PostgreSQL, JSON
   * on SQLite).
   */
  claimInbox: (skipLocked: boolean) => {
    const lock = skipLocked ? ' FOR UPDATE SKIP LOCKED' : '';
    const left = skipLocked ? 'type = ANY(?::text[])' : 'type IN (SELECT value FROM json_each(?))';
    return `UPDATE inbox SET status = 'PROCESSING', lease_owner = ?, leased_until = ?, attempts = attempts + 1, updated_at = ?
    WHERE id IN (SELECT id FROM inbox WHERE status = 'PENDING' AND next_attempt_at <= ?
        AND NOT (facts IS NOT NULL AND type IS NOT NULL AND ${left}) ORDER BY next_attempt_at LIMIT ?${lock})
       OR id IN (SELECT id FROM inbox WHERE status = 'PROCESSING' AND leased_until < ? ORDER BY leased_until LIMIT ?${lock})
    RETURNING ${CLAIMED_COLUMNS}`;
  },
  finishInbox: `UPDATE inbox SET status = ?, lease_owner = NULL, leased_until = NULL, next_attempt_at = ?, last_error = ?,
      processed_at = ?, updated_at = ?
    WHERE id = ? AND lease_owner = ? AND status = 'PROCESSING'`,
  /**
   * SQL.finishInbox for a batch in one statement, logging the failed attempts among its rows in the same
   * statement (PostgreSQL; parameters: finishParams by column, then the failed attempts' id, inbox id,
   * worker, error, outcome, at by column; every one an array, so the text is the same for any batch).
   * Answers the ids it finished; a row whose lease was lost is not among them, nor is its attempt logged.
   */
  finishInboxMany: `WITH done AS (UPDATE inbox SET status = v.status, lease_owner = NULL, leased_until = NULL,
        next_attempt_at = v.next_attempt_at, last_error = v.last_error, processed_at = v.processed_at, updated_at = v.now
      FROM unnest(${arrayPlaceholders(['text', 'bigint', 'text', 'bigint', 'bigint', 'text', 'text'])})
        AS v(status, next_attempt_at, last_error, processed_at, now, id, owner)
      WHERE inbox.id = v.id AND inbox.lease_owner = v.owner AND inbox.status = 'PROCESSING'
      RETURNING inbox.id, inbox.attempts),
    log AS (INSERT INTO inbox_attempts (id, inbox_id, attempt, worker, error, outcome, at)
      SELECT f.id, f.inbox_id, done.attempts, f.worker, f.error, f.outcome, f.at
      FROM unnest(${arrayPlaceholders(['text', 'text', 'text', 'text', 'text', 'bigint'])})
        AS f(id, inbox_id, worker, error, outcome, at)
      JOIN done ON done.id = f.inbox_id)
    SELECT id FROM done`,
  /** Lease renewal; the ids as a JSON array (SQLite) or a text array (PostgreSQL). */
  renewInboxLeasesSqlite: `UPDATE inbox SET leased_until = ?
    WHERE id IN (SELECT value FROM json_each(?)) AND lease_owner = ? AND status = 'PROCESSING' RETURNING id`,
  // SKIP LOCKED: rows the pass's own lifecycle transaction holds are renewed next time; waiting for them
  // would deadlock with that transaction.
  renewInboxLeasesPostgres: `UPDATE inbox SET leased_until = ?
    WHERE id IN (SELECT id FROM inbox WHERE id = ANY(?::text[]) AND lease_owner = ? AND status = 'PROCESSING'
      FOR UPDATE SKIP LOCKED) RETURNING id`,
  getInbox: `SELECT * FROM ${INBOX_FROM} WHERE id = ?`,
  /** Logs a failed attempt of a row just finished. Parameters: id, worker, error, outcome, at, inbox id. */
  logInboxAttempt: `INSERT INTO inbox_attempts (id, inbox_id, attempt, worker, error, outcome, at)
    SELECT ?, id, attempts, ?, ?, ?, ? FROM inbox WHERE id = ?`,
  listInboxAttempts: 'SELECT * FROM inbox_attempts WHERE inbox_id = ? ORDER BY at, id',
  requeueQuarantined: `UPDATE inbox SET status = 'PENDING', event_key = ?, type = ?, violations = NULL, attempts = 0,
      last_error = NULL, next_attempt_at = ?, applied = 0, outcome = NULL, updated_at = ?
    WHERE id = ? AND status = 'QUARANTINED' RETURNING id`,
  requeue: `UPDATE inbox SET status = 'PENDING', attempts = 0, last_error = NULL, next_attempt_at = ?, updated_at = ?
    WHERE id = ? AND status IN ('FAILED', 'QUARANTINED') RETURNING id`,
  replayInbox: `UPDATE inbox SET status = 'PENDING', attempts = 0, last_error = NULL, next_attempt_at = ?, processed_at = NULL,
      updated_at = ? WHERE id = ? AND status = 'PROCESSED' RETURNING id`,
  countInbox: 'SELECT status, COUNT(*) AS n FROM inbox GROUP BY status',
  /** Parameters: bucket ms, bucket ms, since. */
  inboxActivity: `SELECT CAST(received_at / ? AS BIGINT) * ? AS bucket, status, COUNT(*) AS n FROM inbox WHERE received_at >= ?
    GROUP BY bucket, status ORDER BY bucket, status`,
  markApplied: 'UPDATE inbox SET applied = 1, outcome = ?, authorization_id = ?, updated_at = ? WHERE id = ?',
  /**
   * Marks a row applied and finishes it PROCESSED in one statement (rows with nothing to run after the
   * lifecycle; the caller checked, under the row's lock, that it still holds the lease or that the row is
   * due and locked). Parameters: outcome, authorization id, attempts to add, processed at, updated at, id.
   */
  applyAndFinishInbox: `UPDATE inbox SET applied = 1, outcome = ?, authorization_id = ?, status = 'PROCESSED',
      attempts = attempts + ?, lease_owner = NULL,
      leased_until = NULL, next_attempt_at = NULL, last_error = NULL, processed_at = ?, updated_at = ? WHERE id = ?`,
  /** Finishes a row PROCESSED the caller checked under the row's lock. Parameters: attempts to add, now, now, id. */
  finishProcessed: `UPDATE inbox SET status = 'PROCESSED', attempts = attempts + ?, lease_owner = NULL, leased_until = NULL, next_attempt_at = NULL,
      last_error = NULL, processed_at = ?, updated_at = ? WHERE id = ?`,
  insertAuthorization: `INSERT INTO authorizations (${AUTHORIZATION_COLUMNS.join(', ')})
    VALUES (${AUTHORIZATION_COLUMNS.map(() => '?').join(', ')})`,
  /** Writes `columns` and moves the version on by the number of changes made. Parameters: the columns' values, steps, id, version read. */
  updateAuthorization: (columns: string[]) =>
    `UPDATE authorizations SET ${[...columns.map((c) => `${c} = ?`), 'version = version + ?'].join(', ')} WHERE id = ? AND version = ?`,
  authorizationBy: (column: 'id' | 'auth_state' | 'auth_code' | 'token_hash', forUpdate: boolean) =>
    `SELECT * FROM authorizations WHERE ${column} = ?${forUpdate ? ' FOR UPDATE' : ''}`,
  consultBy: (forUpdate: boolean) =>
    `SELECT * FROM consults WHERE auth_state = ?${forUpdate ? ' FOR UPDATE' : ''}`,
  releaseCode: 'UPDATE authorizations SET code_redeemed_at = NULL, version = version + 1 WHERE auth_code = ?',
  listExpiring: `SELECT * FROM authorizations WHERE status = 'ACTIVE' AND access_token_expires_at IS NOT NULL
    AND access_token_expires_at < ? ORDER BY access_token_expires_at LIMIT ?`,
  redeemCode:
    'UPDATE authorizations SET code_redeemed_at = ?, version = version + 1 WHERE auth_code = ? AND code_redeemed_at IS NULL',
  insertTimeline: `INSERT INTO authorization_events (id, authorization_id, kind, from_status, to_status, inbox_id, detail, at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  insertConsult:
    'INSERT INTO consults (auth_state, authorization_id, merchant_reference, created_at, expires_at) VALUES (?, ?, ?, ?, ?)',
  timeline: 'SELECT * FROM authorization_events WHERE authorization_id = ? ORDER BY at, id',
  insertOutbox: `INSERT INTO outbox (id, target_url, client_id, key_version, type, body, status, schedule, next_attempt_at,
    created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?)`,
  claimOutbox: (skipLocked: boolean) => {
    const lock = skipLocked ? ' FOR UPDATE SKIP LOCKED' : '';
    return `UPDATE outbox SET status = 'DELIVERING', lease_owner = ?, leased_until = ?, updated_at = ?
    WHERE id IN (SELECT id FROM outbox WHERE status = 'PENDING' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?${lock})
       OR id IN (SELECT id FROM outbox WHERE status = 'DELIVERING' AND leased_until < ? ORDER BY leased_until LIMIT ?${lock})
    RETURNING *`;
  },
  insertAttempt: `INSERT INTO outbox_attempts (id, outbox_id, run, number, due_at, started_at, finished_at, request_time,
    http_status, response_excerpt, error_class, verdict, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  advanceOutbox: `UPDATE outbox SET status = ?, attempts = ?, next_attempt_at = ?, acknowledged_at = ?, lease_owner = NULL,
    leased_until = NULL, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'DELIVERING' AND run = ?`,
  getOutbox: 'SELECT * FROM outbox WHERE id = ?',
  listAttempts: 'SELECT * FROM outbox_attempts WHERE outbox_id = ? ORDER BY run, number',
  countOutbox: 'SELECT status, COUNT(*) AS n FROM outbox GROUP BY status',
  redeliverOutbox: `UPDATE outbox SET status = 'PENDING', run = run + 1, attempts = 0, next_attempt_at = ?, acknowledged_at = NULL,
    lease_owner = NULL, leased_until = NULL, updated_at = ? WHERE id = ? AND status <> 'DELIVERING' RETURNING *`,
  cancelOutbox: `UPDATE outbox SET status = 'CANCELED', next_attempt_at = NULL, updated_at = ?
    WHERE id = ? AND status IN ('PENDING', 'EXHAUSTED') RETURNING *`,
  /** Stores a setting unless one is stored; answers the stored value either way. */
  claimSetting:
    'INSERT INTO authnotify_settings (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING value',
  getSetting: 'SELECT value FROM authnotify_settings WHERE name = ?',
  /** A real write (the readiness probe): fails where the store cannot write. */
  touchProbe:
    "INSERT INTO authnotify_settings (name, value, updated_at) VALUES ('readiness_probe', ?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
  hasData:
    'SELECT CASE WHEN EXISTS (SELECT 1 FROM inbox) OR EXISTS (SELECT 1 FROM authorizations) OR EXISTS (SELECT 1 FROM outbox) OR EXISTS (SELECT 1 FROM tombstones) THEN 1 ELSE 0 END AS v',
  insertMigration: 'INSERT INTO authnotify_schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  maxMigration: 'SELECT MAX(version) AS v FROM authnotify_schema_migrations',
} as const;

/** Builds a filtered keyset page query over (timeColumn, id), newest first. */
export function pageQuery(
  table: 'inbox' | 'authorizations' | 'outbox' | 'event_deliveries',
  timeColumn: 'received_at' | 'updated_at' | 'created_at',
  filters: [column: string, value: string | undefined][],
  cursor: [number, string] | undefined,
  limit: number,
  /** The time column from (inclusive) and to (exclusive), epoch ms. */
  range: { from?: number | undefined; to?: number | undefined } = {},
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [column, value] of filters) {
    if (value === undefined || value === '') continue;
    where.push(`${column} = ?`);
    params.push(value);
  }
  if (range.from !== undefined) {
    where.push(`${timeColumn} >= ?`);
    params.push(range.from);
  }
  if (range.to !== undefined) {
    where.push(`${timeColumn} < ?`);
    params.push(range.to);
  }
  if (cursor) {
    where.push(`(${timeColumn} < ? OR (${timeColumn} = ? AND id < ?))`);
    params.push(cursor[0], cursor[0], cursor[1]);
  }
  params.push(limit + 1);
  const clause = where.length > 0 ? `WHERE ${where.join(' AND ')}` : '';
  const from = table === 'inbox' ? INBOX_FROM : table;
  return { sql: `SELECT * FROM ${from} ${clause} ORDER BY ${timeColumn} DESC, id DESC LIMIT ?`, params };
}

/** Rewrites `?` placeholders as `$1, $2, …` for PostgreSQL. */
export function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** Parameters of one row of SQL.insertInbox. */
export function inboxParams(row: NewInboxRow): unknown[] {
  return [
    row.id,
    row.eventKey,
    row.type,
    row.status,
    row.rawBody,
    '', // the headers go to inbox_headers (inboxHeadersParams)
    row.path,
    row.matchedPath,
    row.keyVersion,
    row.violations === null ? null : JSON.stringify(row.violations),
    row.requestId,
    row.receivedAt,
    row.status === 'PENDING' ? row.receivedAt : null,
    row.receivedAt,
    row.facts ?? null,
  ];
}

/** The attempt a finish logs (id, worker, error, outcome, at), or undefined for a success. */
export function attemptLogParams(
  owner: string,
  finish: InboxFinish,
): [string, string, string, string, number] | undefined {
  if (finish.status === 'PROCESSED') return undefined;
  return [
    uuidv7(finish.now),
    owner,
    finish.error,
    finish.status === 'FAILED' ? 'FAILED' : 'RETRY',
    finish.now,
  ];
}

/** Parameters of SQL.insertInboxHeaders for a row just inserted. */
export function inboxHeadersParams(row: NewInboxRow): [string, string] {
  return [row.id, JSON.stringify(row.headers)];
}

/** Parameters of SQL.finishInbox. */
export function finishParams(id: string, owner: string, finish: InboxFinish): unknown[] {
  return [
    finish.status,
    finish.status === 'PENDING' ? finish.nextAttemptAt : null,
    finish.status === 'PROCESSED' ? null : finish.error,
    finish.status === 'PROCESSED' ? finish.now : null,
    finish.now,
    id,
    owner,
  ];
}

/** The requeue statement: quarantined rows that now parse get their real event key and type. */
export function requeueQuery(
  id: string,
  now: number,
  reclassified: { eventKey: string; type: string; violations: null } | undefined,
): { sql: string; params: unknown[] } {
  return reclassified
    ? { sql: SQL.requeueQuarantined, params: [reclassified.eventKey, reclassified.type, now, now, id] }
    : { sql: SQL.requeue, params: [now, now, id] };
}

/** Parameters of SQL.claimInbox. */
export function claimParams(claim: InboxClaim, dialect: 'sqlite' | 'postgres'): unknown[] {
  const left = [...(claim.leaveDue ?? [])];
  return [
    claim.owner,
    claim.now + claim.leaseMs,
    claim.now,
    claim.now,
    dialect === 'postgres' ? left : JSON.stringify(left),
    claim.limit,
    claim.now,
    claim.limit,
  ];
}

/** Parameters of SQL.claimOutbox. */
export function claimOutboxParams(claim: InboxClaim): unknown[] {
  return [claim.owner, claim.now + claim.leaseMs, claim.now, claim.now, claim.limit, claim.now, claim.limit];
}

/** Parameters of SQL.insertOutbox. */
export function outboxParams(row: NewOutboxRow): unknown[] {
  return [
    row.id,
    row.targetUrl,
    row.clientId,
    row.keyVersion,
    row.type,
    row.body,
    JSON.stringify(row.schedule),
    row.nextAttemptAt,
    row.createdAt,
    row.createdAt,
  ];
}

/** Parameters of SQL.advanceOutbox. */
export function advanceParams(attempt: AttemptRecord, next: OutboxNext, now: number): unknown[] {
  return [
    next.status,
    attempt.number,
    next.status === 'PENDING' ? next.nextAttemptAt : null,
    next.status === 'ACKNOWLEDGED' ? attempt.finishedAt : null,
    now,
    attempt.outboxId,
    attempt.worker,
    attempt.run,
  ];
}

/** Parameters of SQL.insertAttempt. */
export function attemptParams(a: AttemptRecord): unknown[] {
  return [
    a.id,
    a.outboxId,
    a.run,
    a.number,
    a.dueAt,
    a.startedAt,
    a.finishedAt,
    a.requestTime,
    a.httpStatus,
    a.responseExcerpt,
    a.errorClass,
    a.verdict,
    a.worker,
  ];
}
