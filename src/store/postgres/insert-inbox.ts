/**
 * PostgreSQL's group commit of notifications: one multi-row insert (with the `notification.quarantined`
 * events of quarantined rows in the same statement), then one statement counting the copies of
 * notifications already stored.
 */
import type pg from 'pg';
import { EVENT_SQL } from '../event-sql.js';
import { type EventRow, quarantineEventRow } from '../event-writes.js';
import { type Row, storeError } from '../rows.js';
import { inboxHeadersParams, inboxParams, numbered, SQL } from '../statements.js';
import type { InboxInsertResult, NewInboxRow } from '../types.js';

/**
 * The insert, as one statement: quarantined rows' events ride along in a data-modifying CTE that writes
 * an event only for a row the insert actually made (not for a copy of a stored one).
 */
function insertStatement(rows: readonly NewInboxRow[]): { sql: string; params: unknown[] } {
  const events = rows.map(quarantineEventRow).filter((e): e is EventRow => e !== undefined);
  const headerValues = rows.map(() => '(?::text, ?::text)').join(', ');
  const eventValues = events.map(() => '(?::text, ?::text, ?::text, ?::text, ?::text, ?::bigint)').join(', ');
  // The headers (and quarantined rows' events) are written only for rows the insert made.
  const sql = `WITH ins AS (${SQL.insertInboxRows(rows.length)}),
    hdr AS (INSERT INTO inbox_headers (id, raw_headers) SELECT h.id, h.raw_headers
      FROM (VALUES ${headerValues}) AS h(id, raw_headers) WHERE h.id IN (SELECT id FROM ins))${
        events.length === 0
          ? ''
          : `,
    ev AS (${EVENT_SQL.insertEventsFrom}
      SELECT v.id, v.type, v.authorization_id, v.inbox_id, v.payload, v.created_at
      FROM (VALUES ${eventValues}) AS v(id, type, authorization_id, inbox_id, payload, created_at)
      WHERE v.inbox_id IN (SELECT id FROM ins))`
      }
    SELECT id, event_key FROM ins`;
  return {
    sql,
    params: [...rows.flatMap(inboxParams), ...rows.flatMap(inboxHeadersParams), ...events.flat()],
  };
}

/**
 * @internal
 * Stores a group commit's rows, keys in ascending order so concurrent batches lock in one order, and
 * answers each row's result in the order given.
 */
export async function insertInboxRows(
  pool: pg.Pool,
  rows: readonly NewInboxRow[],
): Promise<InboxInsertResult[]> {
  const sorted = [...rows].sort((a, b) => (a.eventKey < b.eventKey ? -1 : a.eventKey > b.eventKey ? 1 : 0));
  const { sql, params } = insertStatement(sorted);
  let inserted: Map<string, string>;
  try {
    const result = await pool.query<Row>(numbered(sql), params);
    inserted = new Map(result.rows.map((r) => [r.event_key as string, r.id as string]));
  } catch (error) {
    throw storeError(error, 'store the notification');
  }
  const known = rows.filter((row) => !inserted.has(row.eventKey));
  const counted = known.length === 0 ? new Map<string, Row>() : await countDuplicates(pool, known);
  return rows.map((row): InboxInsertResult => {
    const id = inserted.get(row.eventKey);
    if (id !== undefined) return { outcome: 'inserted', id, duplicates: 0 };
    const out = counted.get(row.eventKey);
    if (!out) throw storeError(new Error('the stored copy was not found'), 'store the notification');
    return { outcome: 'duplicate', id: out.id as string, duplicates: Number(out.duplicates) };
  });
}

/**
 * Counts one more copy of each of these stored notifications in one statement (a batch never holds a
 * key twice). The rows are locked in id order, as the processor's batch locks them, so the two do not
 * deadlock; a deadlock with another writer aborts the statement without effect, and it is run again.
 */
async function countDuplicates(pool: pg.Pool, rows: readonly NewInboxRow[]): Promise<Map<string, Row>> {
  const params = rows.flatMap((row) => [row.eventKey, row.receivedAt]);
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await pool.query<Row>(numbered(SQL.countDuplicates(rows.length)), params);
      return new Map(result.rows.map((r) => [r.event_key as string, r]));
    } catch (error) {
      if ((error as { code?: string }).code === '40P01' && attempt < 3) continue;
      throw storeError(error, 'count duplicate notifications');
    }
  }
}
