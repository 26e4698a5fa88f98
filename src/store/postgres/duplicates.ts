/** Counting the copies of notifications a PostgreSQL group commit found already stored. */
import type pg from 'pg';
import { type Row, storeError } from '../rows.js';
import { numbered, SQL } from '../statements.js';
import type { NewInboxRow } from '../types.js';

/**
 * Counts one more copy of each of these stored notifications in one statement (a batch never holds a
 * key twice). The rows are locked in id order, as the processor's batch locks them, so the two do not
 * deadlock; a deadlock with another writer aborts the statement without effect, and it is run again.
 */
export async function countDuplicates(
  pool: pg.Pool,
  rows: readonly NewInboxRow[],
): Promise<Map<string, Row>> {
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
