/**
 * The body of `applyEvent` and `saveConsult`, written once as generators that yield queries. The SQLite
 * store drives them synchronously inside a better-sqlite3 transaction; the PostgreSQL store drives them
 * with `await` inside BEGIN … COMMIT. Same statements, same order, same decision.
 */
import { decideLifecycle } from '../authorization/lifecycle.js';
import type {
  AuthorizationRecord,
  ConsultRecord,
  LifecycleContext,
  LifecycleEvent,
  LifecycleSnapshot,
} from '../authorization/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import {
  authorizationValues,
  patchAssignments,
  type Row,
  toAuthorizationRecord,
  toConsultRecord,
  toTombstoneRecord,
} from './rows.js';
import { advanceParams, attemptParams, finishParams, SQL } from './statements.js';
import type { ApplyEventInput, ApplyEventResult, AttemptRecord, InboxFinish, OutboxNext } from './types.js';

export type Query =
  | { mode: 'get'; sql: string; params: unknown[] }
  | { mode: 'all'; sql: string; params: unknown[] }
  | { mode: 'run'; sql: string; params: unknown[] };

/** What a driver answers: a row (or undefined) for `get`, every row for `all`, the changed-row count for `run`. */
export type Answer = Row | Row[] | undefined | number;

export type Steps<T> = Generator<Query, T, Answer>;

export function* all(sql: string, ...params: unknown[]): Steps<Row[]> {
  return (yield { mode: 'all', sql, params }) as Row[];
}

export function* get(sql: string, ...params: unknown[]): Steps<Row | undefined> {
  return (yield { mode: 'get', sql, params }) as Row | undefined;
}

export function* run(sql: string, ...params: unknown[]): Steps<number> {
  return (yield { mode: 'run', sql, params }) as number;
}

function* authorizationBy(
  column: 'id' | 'auth_state' | 'auth_code' | 'token_hash',
  value: string | undefined,
  forUpdate: boolean,
): Steps<AuthorizationRecord | undefined> {
  if (value === undefined) return undefined;
  const row = yield* get(SQL.authorizationBy(column, forUpdate), value);
  return row ? toAuthorizationRecord(row) : undefined;
}

export function* applyEventSteps(
  input: ApplyEventInput,
  event: LifecycleEvent,
  ctx: LifecycleContext,
  forUpdate: boolean,
): Steps<ApplyEventResult> {
  if (input.inbox) {
    const row = yield* get(SQL.inboxApplied + (forUpdate ? ' FOR UPDATE' : ''), input.inbox.id);
    if (!row) throw new AuthNotifyError('NOT_FOUND', `inbox row ${input.inbox.id} does not exist`);
    if (Number(row.applied) === 1) {
      const id = row.authorization_id === null ? undefined : String(row.authorization_id);
      const authorization = yield* authorizationBy('id', id, false);
      return {
        decision: { outcome: String(row.outcome) },
        authorization,
        alreadyApplied: true,
      };
    }
  }
  const { lookup } = input;
  const consultRow =
    lookup.authState === undefined ? undefined : yield* get(SQL.consultBy(forUpdate), lookup.authState);
  const tombstoneRow =
    lookup.tokenHash === undefined ? undefined : yield* get(SQL.tombstoneBy, lookup.tokenHash);
  const snapshot: LifecycleSnapshot = {
    byAuthState: yield* authorizationBy('auth_state', lookup.authState, forUpdate),
    byAuthCode: yield* authorizationBy('auth_code', lookup.authCode, forUpdate),
    byTokenHash: yield* authorizationBy('token_hash', lookup.tokenHash, forUpdate),
    consult: consultRow ? toConsultRecord(consultRow) : undefined,
    tombstone: tombstoneRow ? toTombstoneRecord(tombstoneRow) : undefined,
  };
  const decision = decideLifecycle(event, snapshot, ctx);
  let authorizationId: string | undefined;
  const write = decision.write;
  if (write?.kind === 'create') {
    yield* run(SQL.insertAuthorization, ...authorizationValues(write.authorization));
    authorizationId = write.authorization.id;
  } else if (write?.kind === 'update') {
    const { columns, values } = patchAssignments(write.patch);
    const changed = yield* run(SQL.updateAuthorization(columns), ...values, write.id, write.expectedVersion);
    if (changed !== 1)
      throw new AuthNotifyError('CONFLICT', `authorization ${write.id} changed concurrently`);
    authorizationId = write.id;
  }
  if (decision.tombstone) {
    const t = decision.tombstone;
    yield* run(SQL.insertTombstone, t.tokenHash, t.reason, t.inboxId, t.createdAt);
  }
  if (decision.timeline) {
    const e = decision.timeline;
    yield* run(
      SQL.insertTimeline,
      input.timelineId,
      e.authorizationId,
      e.kind,
      e.from,
      e.to,
      input.inbox?.id ?? null,
      e.detail,
      input.now,
    );
    authorizationId ??= e.authorizationId;
  }
  if (input.inbox) {
    yield* run(SQL.markApplied, decision.outcome, authorizationId ?? null, input.now, input.inbox.id);
  }
  const authorization = yield* authorizationBy('id', authorizationId, false);
  return { decision, authorization, alreadyApplied: false };
}

export function* finishManySteps(
  items: readonly { id: string; owner: string; finish: InboxFinish }[],
): Steps<boolean[]> {
  const results: boolean[] = [];
  for (const item of items)
    results.push((yield* run(SQL.finishInbox, ...finishParams(item.id, item.owner, item.finish))) === 1);
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
