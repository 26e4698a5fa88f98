/**
 * Applying due notifications inside the store, in one transaction: rows whose lifecycle facts were stored
 * at receipt (`facts`) and whose type has nothing left to run after its lifecycle (no handler, no code to
 * redeem) are selected, decided with the pure lifecycle, and finished PROCESSED — no lease, no trip of
 * the body to the processor and back. On PostgreSQL the selection skips rows another processor holds.
 */
import { eventOfFacts, lookupOf } from '../authorization/facts.js';
import { subjectOfEventKey } from '../protocol/event-key.js';
import { uuidv7 } from '../protocol/ids.js';
import { applyBatchSteps, INBOX_STATE_COLUMNS } from './apply-batch.js';
import { all, type Steps } from './apply-event.js';
import { inList } from './event-sql.js';
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
  if (rows.length === 0) return [];
  const applications = rows.map((row): LifecycleApplication => {
    const id = String(row.id);
    const event = eventOfFacts(String(row.facts), subjectOfEventKey(String(row.event_key)));
    return {
      input: { lookup: lookupOf(event), inbox: { id, owner: '' }, timelineId: uuidv7(now), now },
      event,
      ctx: { now, newId: uuidv7(now), inboxId: id, acceptUnknownAuthState: request.acceptUnknownAuthState },
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
