/**
 * Store work written once as generators that yield queries, for the statements a store runs in one
 * transaction (`saveConsult`, finishing, delivery attempts; lifecycle events are in apply-batch.ts). The
 * SQLite store drives them synchronously inside a better-sqlite3 transaction; the PostgreSQL store drives
 * them with `await` inside BEGIN … COMMIT. Same statements, same order.
 */
import type { AuthorizationRecord, ConsultRecord } from '../authorization/types.js';
import { uuidv7 } from '../protocol/ids.js';
import { authorizationValues, type Row } from './rows.js';
import { advanceParams, attemptLogParams, attemptParams, finishParams, SQL } from './statements.js';
import type { AttemptRecord, InboxFinish, OutboxNext } from './types.js';

export type Query =
  | { mode: 'all'; sql: string; params: unknown[] }
  | { mode: 'run'; sql: string; params: unknown[] };

/** What a driver answers: every row for `all`, the changed-row count for `run`. */
export type Answer = Row[] | number;

export type Steps<T> = Generator<Query, T, Answer>;

export function* all(sql: string, ...params: unknown[]): Steps<Row[]> {
  return (yield { mode: 'all', sql, params }) as Row[];
}

export function* run(sql: string, ...params: unknown[]): Steps<number> {
  return (yield { mode: 'run', sql, params }) as number;
}

/** Finishes leased rows; a finish with an error logs the failed attempt in the same transaction. */
export function* finishManySteps(
  items: readonly { id: string; owner: string; finish: InboxFinish }[],
): Steps<boolean[]> {
  const results: boolean[] = [];
  for (const item of items) {
    const finished = (yield* run(SQL.finishInbox, ...finishParams(item.id, item.owner, item.finish))) === 1;
    const log = attemptLogParams(item.owner, item.finish);
    if (finished && log) yield* run(SQL.logInboxAttempt, ...log, item.id);
    results.push(finished);
  }
  return results;
}

/** Moves a leased delivery on and logs its attempt; writes nothing and returns false if the lease was lost. */
export function* recordAttemptSteps(attempt: AttemptRecord, next: OutboxNext, now: number): Steps<boolean> {
  const moved = yield* run(SQL.advanceOutbox, ...advanceParams(attempt, next, now));
  if (moved !== 1) return false;
  yield* run(SQL.insertAttempt, ...attemptParams(attempt));
  return true;
}

export function* saveConsultSteps(
  consult: ConsultRecord,
  authorization: Omit<AuthorizationRecord, 'version'>,
): Steps<void> {
  yield* run(SQL.insertAuthorization, ...authorizationValues(authorization));
  yield* run(
    SQL.insertConsult,
    consult.authState,
    consult.authorizationId,
    consult.merchantReference,
    consult.createdAt,
    consult.expiresAt,
  );
  // The timeline starts with the consult.
  yield* run(
    SQL.insertTimeline,
    uuidv7(consult.createdAt),
    authorization.id,
    'consult',
    null,
    authorization.status,
    null,
    null,
    consult.createdAt,
  );
}

/** Drives steps synchronously with a synchronous executor. */
export function driveSync<T>(steps: Steps<T>, exec: (query: Query) => Answer): T {
  let next = steps.next();
  while (!next.done) next = steps.next(exec(next.value));
  return next.value;
}

/** Drives steps with an asynchronous executor. */
export async function driveAsync<T>(steps: Steps<T>, exec: (query: Query) => Promise<Answer>): Promise<T> {
  let next = steps.next();
  while (!next.done) next = steps.next(await exec(next.value));
  return next.value;
}
