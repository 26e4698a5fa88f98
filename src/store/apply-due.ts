/**
 * Applying notifications inside the store: rows whose lifecycle facts were stored at receipt (`facts`)
 * and whose type has nothing left to run after its lifecycle (no handler, no code to redeem) are decided
 * with the pure lifecycle and finished PROCESSED in one transaction — no lease, no trip of the body to
 * the processor and back. Two ways in: the processor's (`applyDue`: the due rows, skipping on PostgreSQL
 * those another processor holds) and the insert's (`applyAtReceipt`: the rows it has just written).
 */
import { eventOfFacts, lookupOf } from '../authorization/facts.js';
import { subjectOfEventKey } from '../protocol/event-key.js';
import { uuidv7 } from '../protocol/ids.js';
import { applyBatchSteps, INBOX_STATE_COLUMNS } from './apply-batch.js';
import { all, type Steps } from './apply-event.js';
import { inList } from './event-sql.js';
import type { Row } from './rows.js';
import type { AppliedDue, DueRequest, LifecycleApplication } from './types.js';

export function* applyDueSteps(dialect: 'sqlite' | 'postgres', request: DueRequest): Steps<AppliedDue[]> {
  if (request.types.length === 0) return [];
  const { now } = request;
  const [byType, types] = inList(dialect, 'type', request.types);
  const lock = dialect === 'postgres' ? ' FOR UPDATE SKIP LOCKED' : '';
  const rows = yield* all(
    `SELECT ${INBOX_STATE_COLUMNS}, type, event_key, facts FROM inbox WHERE status = 'PENDING' AND next_attempt_at <= ? AND facts IS NOT NULL
      AND ${byType} ORDER BY next_attempt_at LIMIT ?${lock}`,
    now,
    types,
    request.limit,
  );
  return yield* applyRows(dialect, rows, () => ({ now, accept: request.acceptUnknownAuthState }));
}

/** A row just inserted with `applyAtReceipt` (PENDING, with facts), applied at its own receipt time. */
export interface InsertedRow {
  id: string;
  type: string | null;
  eventKey: string;
  facts: string;
  now: number;
  acceptUnknownAuthState: boolean;
}

/**
 * Applies rows in the transaction that inserted them, in their order of arrival (SQLite). Their state is
 * the one an insert gives (PENDING, not applied, no lease), so it is not read back.
 *
 * @example
 * const applied = driveSync(applyInsertedSteps([{ id, type, eventKey, facts, now, acceptUnknownAuthState: false }]), exec);
 */
export function* applyInsertedSteps(inserted: readonly InsertedRow[]): Steps<AppliedDue[]> {
  // The INBOX_STATE_COLUMNS (and type, event_key, facts) of a row just inserted.
  const rows = inserted.map(
    (r): Row => ({
      id: r.id,
      applied: 0,
      outcome: null,
      authorization_id: null,
      lease_owner: null,
      status: 'PENDING',
      type: r.type,
      event_key: r.eventKey,
      facts: r.facts,
    }),
  );
  return yield* applyRows('sqlite', rows, (i) => {
    const r = inserted[i] as InsertedRow;
    return { now: r.now, accept: r.acceptUnknownAuthState };
  });
}

/**
 * Decides and writes the lifecycle of inbox rows (INBOX_STATE_COLUMNS, type, event_key, facts) that this
 * transaction holds: read and locked, or just inserted.
 */
function* applyRows(
  dialect: 'sqlite' | 'postgres',
  rows: Row[],
  settingsOf: (index: number) => { now: number; accept: boolean },
): Steps<AppliedDue[]> {
  if (rows.length === 0) return [];
  const applications = rows.map((row, i): LifecycleApplication => {
    const id = String(row.id);
    const { now, accept } = settingsOf(i);
    const event = eventOfFacts(String(row.facts), subjectOfEventKey(String(row.event_key)));
    return {
      input: { lookup: lookupOf(event), inbox: { id, owner: '' }, timelineId: uuidv7(now), now },
      event,
      ctx: { now, newId: uuidv7(now), inboxId: id, acceptUnknownAuthState: accept },
      finish: { owner: '' },
    };
  });
  // The rows are read and locked: the batch decides on them as they are.
  const results = yield* applyBatchSteps(applications, dialect, 'due', rows);
  return results.map((result, i) => ({
    id: String(rows[i]?.id),
    type: (rows[i]?.type as string | null) ?? null,
    outcome: result.decision.outcome,
    authorizationId: result.authorization?.id ?? null,
    alreadyApplied: result.alreadyApplied,
  }));
}
