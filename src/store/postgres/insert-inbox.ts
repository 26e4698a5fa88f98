/**
 * PostgreSQL's group commit of notifications: one insert of the whole batch (with the
 * `notification.quarantined` events of quarantined rows in the same statement), then one statement
 * counting the copies of notifications already stored.
 */
import type pg from 'pg';
import { EVENT_SQL } from '../event-sql.js';
import { type EventRow, quarantineEventRow } from '../event-writes.js';
import { type Row, storeError } from '../rows.js';
import { byColumn, INBOX_COLUMN_TYPES, inboxHeadersParams, inboxParams, SQL } from '../statements.js';
import type { InboxInsertResult, NewInboxRow } from '../types.js';
import type { PreparedStatements } from './prepared.js';

/**
 * The batch as one statement whose text does not change with its size, so that PostgreSQL prepares it
 * once per connection: each column is one array parameter. The headers, and the `notification.quarantined`
 * events of quarantined rows, are written only for rows the insert made (not for a copy of a stored one).
 */
const INSERT_BATCH = `WITH ins AS (${SQL.insertInboxColumns}),
    hdr AS (INSERT INTO inbox_headers (id, raw_headers) SELECT h.id, h.raw_headers
      FROM unnest(?::text[], ?::text[]) AS h(id, raw_headers) WHERE h.id IN (SELECT id FROM ins)),
    ev AS (${EVENT_SQL.insertEventsFrom}
      SELECT v.id, v.type, v.authorization_id, v.inbox_id, v.payload, v.created_at
      FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[])
        AS v(id, type, authorization_id, inbox_id, payload, created_at)
      WHERE v.inbox_id IN (SELECT id FROM ins))
    SELECT id, event_key FROM ins`;

/** Parameters of INSERT_BATCH. */
function insertParams(rows: readonly NewInboxRow[]): unknown[] {
  const events = rows.map(quarantineEventRow).filter((e): e is EventRow => e !== undefined);
  return [
    ...byColumn(INBOX_COLUMN_TYPES.length, rows.map(inboxParams)),
    ...byColumn(2, rows.map(inboxHeadersParams)),
    ...byColumn(6, events),
  ];
}

/**
 * Which statement a group commit tries first. A batch of new notifications needs the insert alone; a
 * batch of copies (Alipay retrying, or a duplicate storm) needs the count alone. Trying the other first
 * costs a second round trip, so each batch starts with what the previous batch mostly needed.
 */
export interface InsertOrder {
  countFirst: boolean;
}

/**
 * @internal
 * Stores a group commit's rows, keys in ascending order so concurrent batches lock in one order, and
 * answers each row's result in the order given. Whichever statement goes first, every row ends either
 * inserted or counted: a key the count did not find is inserted, and a key the insert found taken (a
 * copy stored meanwhile by another process) is counted.
 */
export async function insertInboxRows(
  pool: pg.Pool,
  rows: readonly NewInboxRow[],
  prepared: PreparedStatements,
  order: InsertOrder = { countFirst: false },
): Promise<InboxInsertResult[]> {
  const results = new Map<string, InboxInsertResult>();
  const countAll = async (batch: readonly NewInboxRow[]) => {
    for (const [key, out] of await countDuplicates(pool, batch, prepared))
      results.set(key, { outcome: 'duplicate', id: out.id as string, duplicates: Number(out.duplicates) });
  };
  let pending: readonly NewInboxRow[] = rows;
  if (order.countFirst) {
    await countAll(rows);
    pending = rows.filter((row) => !results.has(row.eventKey));
  }
  if (pending.length > 0) {
    const sorted = [...pending].sort((a, b) =>
      a.eventKey < b.eventKey ? -1 : a.eventKey > b.eventKey ? 1 : 0,
    );
    try {
      const result = await pool.query<Row>(prepared.config(INSERT_BATCH, insertParams(sorted)));
      for (const r of result.rows)
        results.set(r.event_key as string, { outcome: 'inserted', id: r.id as string, duplicates: 0 });
    } catch (error) {
      throw storeError(error, 'store the notification');
    }
    const known = pending.filter((row) => !results.has(row.eventKey));
    if (known.length > 0) await countAll(known);
  }
  const copies = rows.filter((row) => results.get(row.eventKey)?.outcome === 'duplicate').length;
  order.countFirst = copies * 2 > rows.length;
  return rows.map((row): InboxInsertResult => {
    const result = results.get(row.eventKey);
    if (!result) throw storeError(new Error('the stored copy was not found'), 'store the notification');
    return result;
  });
}

/**
 * Counts one more copy of each of these stored notifications in one statement (a batch never holds a
 * key twice). The rows are locked in id order, as the processor's batch locks them, so the two do not
 * deadlock; a deadlock with another writer aborts the statement without effect, and it is run again.
 */
async function countDuplicates(
  pool: pg.Pool,
  rows: readonly NewInboxRow[],
  prepared: PreparedStatements,
): Promise<Map<string, Row>> {
  const params = [rows.map((row) => row.eventKey), rows.map((row) => row.receivedAt)];
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await pool.query<Row>(prepared.config(SQL.countDuplicates, params));
      return new Map(result.rows.map((r) => [r.event_key as string, r]));
    } catch (error) {
      if ((error as { code?: string }).code === '40P01' && attempt < 3) continue;
      throw storeError(error, 'count duplicate notifications');
    }
  }
}
