/**
 * SQL and row mapping for events, destinations and forwarded deliveries, for both dialects (`?`
 * placeholders; the PostgreSQL store numbers them). Feed positions are `<txid>.<seq>`: SQLite's txid is
 * always 0 (one writer at a time, so the sequence alone is commit order).
 */
import { AuthNotifyError } from '../protocol/errors.js';
import type {
  DeliveryAttemptRecord,
  DeliveryRecord,
  DestinationRecord,
  DestinationSecret,
  DestinationStatus,
  EventRecord,
  ForwardStatus,
  ForwardVerdict,
} from './event-types.js';
import { num, numOrNull, type Row, strOrNull } from './rows.js';

export type EventDialect = 'sqlite' | 'postgres';

export const START_POSITION = '0.0';

/** A position's parts, checked: a position is an API cursor too, so a bad one is a 400, not a 500. */
export function parsePosition(position: string | undefined): [txid: string, seq: number] {
  if (position === undefined || position === '') return ['0', 0];
  const m = /^(\d{1,20})\.(\d{1,18})$/.exec(position);
  if (!m)
    throw new AuthNotifyError('PARAM_ILLEGAL', 'the cursor is not one this API returned', { status: 400 });
  return [m[1] as string, Number(m[2])];
}

const positionOf = (r: Row) => `${String(r.txid ?? '0')}.${String(r.seq)}`;

/** `column IN (list)` with the list as one parameter. */
export function inList(dialect: EventDialect, column: string, values: readonly string[]): [string, unknown] {
  return dialect === 'postgres'
    ? [`${column} = ANY(?::text[])`, [...values]]
    : [`${column} IN (SELECT value FROM json_each(?))`, JSON.stringify(values)];
}

/** Events after a position, oldest first; on PostgreSQL only those no running transaction could precede. */
export function feedQuery(
  dialect: EventDialect,
  after: string | undefined,
  limit: number,
  types: readonly string[] | undefined,
): { sql: string; params: unknown[] } {
  const [txid, seq] = parsePosition(after);
  const filter = types && types.length > 0 ? inList(dialect, 'type', types) : undefined;
  const where = filter ? ` AND ${filter[0]}` : '';
  const typeParams = filter ? [filter[1]] : [];
  if (dialect === 'sqlite')
    return {
      sql: `SELECT '0' AS txid, seq, id, type, authorization_id, inbox_id, payload, created_at FROM events
        WHERE seq > ?${where} ORDER BY seq LIMIT ?`,
      params: [seq, ...typeParams, limit],
    };
  return {
    sql: `SELECT txid::text AS txid, seq, id, type, authorization_id, inbox_id, payload, created_at FROM events
      WHERE (txid, seq) > (?::xid8, ?::bigint) AND txid < pg_snapshot_xmin(pg_current_snapshot())${where}
      ORDER BY txid, seq LIMIT ?`,
    params: [txid, seq, ...typeParams, limit],
  };
}

export function headQuery(dialect: EventDialect): string {
  return dialect === 'sqlite'
    ? "SELECT '0' AS txid, seq FROM events ORDER BY seq DESC LIMIT 1"
    : `SELECT txid::text AS txid, seq FROM events WHERE txid < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY txid DESC, seq DESC LIMIT 1`;
}

export const headOf = (rows: Row[]): string => (rows[0] ? positionOf(rows[0]) : START_POSITION);

const INSERT_EVENTS = 'INSERT INTO events (id, type, authorization_id, inbox_id, payload, created_at)';

export const EVENT_SQL = {
  /** The insert's head, for a statement that selects its rows. */
  insertEventsFrom: INSERT_EVENTS,
  insertEvents: (rows: number) =>
    `${INSERT_EVENTS} VALUES ${Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}`,
  getEvent: (dialect: EventDialect) =>
    `SELECT ${dialect === 'sqlite' ? "'0'" : 'txid::text'} AS txid, seq, id, type, authorization_id, inbox_id, payload,
      created_at FROM events WHERE id = ?`,
  insertDestination: `INSERT INTO destinations (id, url, description, types, secrets, status, source, position, created_at,
      updated_at) VALUES (?, ?, ?, ?, ?, 'ACTIVE', ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
  getDestination: 'SELECT * FROM destinations WHERE id = ?',
  listDestinations: 'SELECT * FROM destinations ORDER BY created_at, id',
  deleteAttemptsOfDestination:
    'DELETE FROM event_delivery_attempts WHERE delivery_id IN (SELECT id FROM event_deliveries WHERE destination_id = ?)',
  deleteDeliveriesOfDestination: 'DELETE FROM event_deliveries WHERE destination_id = ?',
  deleteDestination: 'DELETE FROM destinations WHERE id = ?',
  /** The destination to fan out, if ACTIVE; PostgreSQL skips one another worker holds. */
  fanOutDestination: (dialect: EventDialect) =>
    `SELECT id, position, types FROM destinations WHERE id = ? AND status = 'ACTIVE'${dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : ''}`,
  insertDeliveries: (rows: number) =>
    `INSERT INTO event_deliveries (id, event_id, destination_id, event_type, event_created_at, status, next_attempt_at,
      created_at, updated_at) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?, 'PENDING', ?, ?, ?)").join(', ')}
      ON CONFLICT (event_id, destination_id) DO NOTHING`,
  advanceDestination: 'UPDATE destinations SET position = ?, updated_at = ? WHERE id = ?',
  /** Due deliveries and expired leases of ACTIVE destinations, each through its partial index. */
  claimDeliveries: (dialect: EventDialect) => {
    const lock = dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
    const active = "destination_id IN (SELECT id FROM destinations WHERE status = 'ACTIVE')";
    return `UPDATE event_deliveries SET status = 'DELIVERING', lease_owner = ?, leased_until = ?, updated_at = ?
      WHERE id IN (SELECT id FROM event_deliveries WHERE status = 'PENDING' AND next_attempt_at <= ? AND ${active}
          ORDER BY next_attempt_at LIMIT ?${lock})
        OR id IN (SELECT id FROM event_deliveries WHERE status = 'DELIVERING' AND leased_until < ? AND ${active}
          ORDER BY leased_until LIMIT ?${lock})
      RETURNING *`;
  },
  advanceDelivery: `UPDATE event_deliveries SET status = ?, attempts = ?, next_attempt_at = ?, delivered_at = ?,
      last_http_status = ?, last_verdict = ?, lease_owner = NULL, leased_until = NULL, updated_at = ?
    WHERE id = ? AND lease_owner = ? AND status = 'DELIVERING' AND run = ?`,
  insertDeliveryAttempt: `INSERT INTO event_delivery_attempts (id, delivery_id, run, number, started_at, finished_at,
      http_status, response_excerpt, error_class, verdict, worker) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  destinationSucceeded: `UPDATE destinations SET failing_since = NULL
    WHERE id = (SELECT destination_id FROM event_deliveries WHERE id = ?) AND failing_since IS NOT NULL`,
  destinationFailed: `UPDATE destinations SET failing_since = COALESCE(failing_since, ?)
    WHERE id = (SELECT destination_id FROM event_deliveries WHERE id = ?)`,
  /** Parameters: reason, now, delivery id, failing since at most. */
  disableDestination: `UPDATE destinations SET status = 'DISABLED', disabled_reason = ?, updated_at = ?
    WHERE id = (SELECT destination_id FROM event_deliveries WHERE id = ?) AND status = 'ACTIVE' AND failing_since <= ?`,
  getDelivery: 'SELECT * FROM event_deliveries WHERE id = ?',
  listDeliveryAttempts: 'SELECT * FROM event_delivery_attempts WHERE delivery_id = ? ORDER BY run, number',
  redeliver: `UPDATE event_deliveries SET status = 'PENDING', run = run + 1, attempts = 0, next_attempt_at = ?,
      delivered_at = NULL, lease_owner = NULL, leased_until = NULL, updated_at = ?
    WHERE id = ? AND status <> 'DELIVERING' RETURNING *`,
  redeliverFailed: `UPDATE event_deliveries SET status = 'PENDING', run = run + 1, attempts = 0, next_attempt_at = ?,
      delivered_at = NULL, lease_owner = NULL, leased_until = NULL, updated_at = ?
    WHERE destination_id = ? AND status = 'EXHAUSTED' AND event_created_at >= ?`,
  countDeliveries:
    'SELECT destination_id, status, COUNT(*) AS n FROM event_deliveries GROUP BY destination_id, status',
  oldestUndelivered:
    "SELECT MIN(event_created_at) AS t FROM event_deliveries WHERE status IN ('PENDING', 'DELIVERING')",
  /** Events old enough to go with no delivery still to make. Parameters: before, limit. */
  prunable: `SELECT id FROM events WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM event_deliveries d
      WHERE d.event_id = events.id AND d.status IN ('PENDING', 'DELIVERING')) ORDER BY created_at LIMIT ?`,
} as const;

export function toEventRecord(r: Row): EventRecord {
  return {
    id: String(r.id),
    position: positionOf(r),
    type: String(r.type),
    authorizationId: strOrNull(r.authorization_id),
    inboxId: strOrNull(r.inbox_id),
    payload: String(r.payload),
    createdAt: num(r.created_at),
  };
}

export function toDestinationRecord(r: Row): DestinationRecord {
  return {
    id: String(r.id),
    url: String(r.url),
    description: strOrNull(r.description),
    types: r.types === null || r.types === undefined ? null : (JSON.parse(String(r.types)) as string[]),
    secrets: JSON.parse(String(r.secrets)) as DestinationSecret[],
    source: r.source === 'config' ? 'config' : 'api',
    status: r.status as DestinationStatus,
    disabledReason: strOrNull(r.disabled_reason),
    failingSince: numOrNull(r.failing_since),
    position: String(r.position),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
  };
}

export function toDeliveryRecord(r: Row): DeliveryRecord {
  return {
    id: String(r.id),
    eventId: String(r.event_id),
    destinationId: String(r.destination_id),
    eventType: String(r.event_type),
    eventCreatedAt: num(r.event_created_at),
    status: r.status as ForwardStatus,
    run: num(r.run),
    attempts: num(r.attempts),
    nextAttemptAt: numOrNull(r.next_attempt_at),
    leaseOwner: strOrNull(r.lease_owner),
    leasedUntil: numOrNull(r.leased_until),
    lastHttpStatus: numOrNull(r.last_http_status),
    lastVerdict: strOrNull(r.last_verdict) as ForwardVerdict | null,
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    deliveredAt: numOrNull(r.delivered_at),
  };
}

export function toDeliveryAttemptRecord(r: Row): DeliveryAttemptRecord {
  return {
    id: String(r.id),
    deliveryId: String(r.delivery_id),
    run: num(r.run),
    number: num(r.number),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    httpStatus: numOrNull(r.http_status),
    responseExcerpt: strOrNull(r.response_excerpt),
    errorClass: strOrNull(r.error_class),
    verdict: r.verdict as ForwardVerdict,
    worker: String(r.worker),
  };
}
