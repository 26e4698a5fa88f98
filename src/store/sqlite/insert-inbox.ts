/**
 * The SQLite store's inbox insert, one group commit's rows in one transaction: each row under its event
 * key (a known key counts a duplicate), its headers beside it, a quarantined row's event; then the rows
 * sent with `applyAtReceipt` are applied before the same commit.
 */
import type Database from 'better-sqlite3';
import { applyInsertedSteps, type InsertedRow } from '../apply-due.js';
import { type Answer, driveSync, type Query } from '../apply-event.js';
import { EVENT_SQL } from '../event-sql.js';
import { quarantineEventRow } from '../event-writes.js';
import { inboxHeadersParams, inboxParams, SQL } from '../statements.js';
import type { AppliedDue, InboxInsertResult, NewInboxRow } from '../types.js';

/**
 * The insert as a better-sqlite3 transaction function (run it with `.immediate`). Statements are prepared
 * on first use: the tables do not exist until migrations have run.
 *
 * @example
 * const insertMany = insertInboxTransaction(db, (sql) => db.prepare(sql), exec);
 * const results = insertMany.immediate(rows);
 */
export function insertInboxTransaction(
  db: Database.Database,
  prepare: (sql: string) => Database.Statement,
  exec: (query: Query) => Answer,
): Database.Transaction<(rows: NewInboxRow[]) => InboxInsertResult[]> {
  return db.transaction((rows: NewInboxRow[]) => {
    const results: InboxInsertResult[] = [];
    const atReceipt: InsertedRow[] = [];
    for (const row of rows) {
      const result = prepare(SQL.insertInbox).get(...inboxParams(row)) as { id: string; duplicates: number };
      if (result.duplicates === 0) {
        prepare(SQL.insertInboxHeaders).run(...inboxHeadersParams(row));
        const event = quarantineEventRow(row);
        if (event) prepare(EVENT_SQL.insertEvents(1)).run(...event);
        if (row.applyAtReceipt && row.status === 'PENDING' && row.facts)
          atReceipt.push({
            id: result.id,
            type: row.type,
            eventKey: row.eventKey,
            facts: row.facts,
            now: row.receivedAt,
            ...row.applyAtReceipt,
          });
      }
      const outcome = result.duplicates === 0 ? 'inserted' : 'duplicate';
      results.push({ outcome, id: result.id, duplicates: result.duplicates });
    }
    if (atReceipt.length > 0) applyAtReceipt(db, exec, atReceipt, results);
    return results;
  });
}

/**
 * Applies the lifecycle of rows just inserted, in a savepoint of the insert's transaction: one commit and
 * one write of their pages, where a later processor transaction would read and rewrite them. If it fails
 * (a conflict, facts it cannot read), the savepoint is undone and the rows stay PENDING for the processor,
 * which applies them (or records why not) as it would have without this.
 */
function applyAtReceipt(
  db: Database.Database,
  exec: (query: Query) => Answer,
  rows: InsertedRow[],
  results: InboxInsertResult[],
): void {
  let applied: AppliedDue[];
  try {
    applied = db.transaction(() => driveSync(applyInsertedSteps(rows), exec))();
  } catch {
    return;
  }
  const byId = new Map(applied.map((a) => [a.id, a]));
  for (const result of results) {
    const a = byId.get(result.id);
    if (a !== undefined) result.applied = a;
  }
}
