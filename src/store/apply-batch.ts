/**
 * `applyEvents` set-based: the rows a whole batch may touch are read in four statements (inbox rows,
 * authorizations by every key, consults, tombstones — locked FOR UPDATE on PostgreSQL), every event is
 * decided in order on an in-memory overlay with the pure lifecycle (a later event sees an earlier one's
 * write, as in one-by-one application), and the writes go out once per changed row. On PostgreSQL this
 * turns five round trips per event into a handful per batch. A single `applyEvent` is a batch of one:
 * one implementation of the lifecycle's writes for every path.
 */
import { decideLifecycle } from '../authorization/lifecycle.js';
import type {
  AuthorizationRecord,
  ConsultRecord,
  LifecycleSnapshot,
  TombstoneRecord,
} from '../authorization/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { all, run, type Steps } from './apply-event.js';
import {
  AUTHORIZATION_TYPES,
  type AuthorizationChange,
  insertRows,
  updateAuthorizations,
} from './batch-writes.js';
import { EVENT_SQL, inList } from './event-sql.js';
import { type EventRow, lifecycleEventRow } from './event-writes.js';
import {
  AUTHORIZATION_COLUMNS,
  authorizationValues,
  FIELD_OF,
  patchAssignments,
  type Row,
  toAuthorizationRecord,
  toConsultRecord,
  toTombstoneRecord,
} from './rows.js';
import { SQL } from './statements.js';
import type { ApplyEventResult, LifecycleApplication } from './types.js';

export type BatchDialect = 'sqlite' | 'postgres';

/** The inbox columns a batch decides on. */
export const INBOX_STATE_COLUMNS = 'id, applied, outcome, authorization_id, lease_owner, status';

type Key = 'authState' | 'authCode' | 'tokenHash';
const KEY_COLUMN: Record<Key, string> = {
  authState: 'auth_state',
  authCode: 'auth_code',
  tokenHash: 'token_hash',
};
const KEYS: readonly Key[] = ['authState', 'authCode', 'tokenHash'];

function distinct(values: Iterable<string | null | undefined>): string[] {
  const out = new Set<string>();
  for (const v of values) if (v !== undefined && v !== null) out.add(v);
  return [...out];
}

/** The authorizations a batch works on, indexed by id and by each unique key. */
class Overlay {
  readonly byId = new Map<string, AuthorizationRecord>();
  readonly #index: Record<Key, Map<string, string>> = {
    authState: new Map(),
    authCode: new Map(),
    tokenHash: new Map(),
  };
  /** Version as read, for rows that existed before the batch. */
  readonly readVersion = new Map<string, number>();
  readonly created = new Set<string>();
  readonly changedColumns = new Map<string, Set<string>>();

  load(record: AuthorizationRecord): void {
    this.byId.set(record.id, record);
    this.readVersion.set(record.id, record.version);
    for (const key of KEYS) if (record[key] !== null) this.#index[key].set(record[key] as string, record.id);
  }

  find(key: Key, value: string | undefined): AuthorizationRecord | undefined {
    if (value === undefined) return undefined;
    const id = this.#index[key].get(value);
    return id === undefined ? undefined : this.byId.get(id);
  }

  /** Writes a record's next state; a unique key held by another row of the batch is a CONFLICT. */
  put(next: AuthorizationRecord, before: AuthorizationRecord | undefined): void {
    for (const key of KEYS) {
      const value = next[key];
      const holder = value === null ? undefined : this.#index[key].get(value);
      if (holder !== undefined && holder !== next.id)
        throw new AuthNotifyError('CONFLICT', `the store could not apply lifecycle events: ${key} is taken`);
    }
    for (const key of KEYS) {
      const old = before?.[key];
      if (old !== undefined && old !== null && old !== next[key]) this.#index[key].delete(old);
      if (next[key] !== null) this.#index[key].set(next[key] as string, next.id);
    }
    this.byId.set(next.id, next);
  }
}

interface InboxMark {
  id: string;
  outcome: string | null;
  authorizationId: string | null;
  now: number;
  /** Mark it applied (false: it was applied before; only finish it). */
  apply: boolean;
  finish: boolean;
}

/**
 * `mode`: `leased` (the processor's rows: finished only while `finish.owner` holds the lease) or `due`
 * (rows this transaction selected PENDING and holds: finished if still PENDING, counting the attempt).
 */
export function* applyBatchSteps(
  events: readonly LifecycleApplication[],
  dialect: BatchDialect,
  mode: 'leased' | 'due' = 'leased',
  /** The inbox rows (INBOX_STATE_COLUMNS), when the caller has read and locked them already. */
  inboxRows?: readonly Row[],
): Steps<ApplyEventResult[]> {
  const lock = dialect === 'postgres' ? ' FOR UPDATE' : '';
  const inboxIds = distinct(events.map((e) => e.input.inbox?.id));
  const inbox = new Map<string, Row>();
  if (inboxRows) for (const row of inboxRows) inbox.set(String(row.id), row);
  else if (inboxIds.length > 0) {
    const [where, list] = inList(dialect, 'id', inboxIds);
    // In id order: duplicate counting locks inbox rows in the same order, so the two cannot deadlock.
    const sql = `SELECT ${INBOX_STATE_COLUMNS} FROM inbox WHERE ${where} ORDER BY id${lock}`;
    for (const row of yield* all(sql, list)) inbox.set(String(row.id), row);
  }
  const lookups = events.map((e) => e.input.lookup);
  const wanted: [string, readonly string[]][] = [
    ['id', distinct([...inbox.values()].map((r) => r.authorization_id as string | null))],
    ...KEYS.map((k): [string, readonly string[]] => [KEY_COLUMN[k], distinct(lookups.map((l) => l[k]))]),
  ];
  const overlay = new Overlay();
  const clauses = wanted.filter(([, values]) => values.length > 0).map(([c, v]) => inList(dialect, c, v));
  if (clauses.length > 0) {
    const sql = `SELECT * FROM authorizations WHERE ${clauses.map(([w]) => w).join(' OR ')}${lock}`;
    for (const row of yield* all(sql, ...clauses.map(([, p]) => p))) overlay.load(toAuthorizationRecord(row));
  }
  const consults = new Map<string, ConsultRecord>();
  const states = distinct(lookups.map((l) => l.authState));
  if (states.length > 0) {
    const [where, list] = inList(dialect, 'auth_state', states);
    for (const row of yield* all(`SELECT * FROM consults WHERE ${where}${lock}`, list))
      consults.set(String(row.auth_state), toConsultRecord(row));
  }
  const tombstones = new Map<string, TombstoneRecord>();
  const hashes = distinct(lookups.map((l) => l.tokenHash));
  if (hashes.length > 0) {
    const [where, list] = inList(dialect, 'token_hash', hashes);
    for (const row of yield* all(`SELECT * FROM tombstones WHERE ${where}`, list))
      tombstones.set(String(row.token_hash), toTombstoneRecord(row));
  }

  const results: ApplyEventResult[] = [];
  const newTombstones: TombstoneRecord[] = [];
  const timeline: unknown[][] = [];
  const emitted: EventRow[] = [];
  const marks = new Map<string, InboxMark>();
  for (const { input, event, ctx, finish } of events) {
    const inboxId = input.inbox?.id;
    const row = inboxId === undefined ? undefined : inbox.get(inboxId);
    if (inboxId !== undefined && !row)
      throw new AuthNotifyError('NOT_FOUND', `inbox row ${inboxId} does not exist`);
    const finishable =
      finish !== undefined &&
      row !== undefined &&
      (mode === 'due'
        ? row.status === 'PENDING'
        : row.lease_owner === finish.owner && row.status === 'PROCESSING');
    const earlier = inboxId === undefined ? undefined : marks.get(inboxId);
    if (row && (Number(row.applied) === 1 || earlier?.apply)) {
      const authorizationId = earlier ? earlier.authorizationId : (row.authorization_id as string | null);
      const outcome = earlier ? earlier.outcome : (row.outcome as string | null);
      const found = authorizationId === null ? undefined : overlay.byId.get(authorizationId);
      if (finishable && inboxId !== undefined)
        marks.set(inboxId, {
          ...(earlier ?? { id: inboxId, outcome, authorizationId, apply: false }),
          now: input.now,
          finish: true,
        });
      results.push({
        decision: { outcome: String(outcome) },
        authorization: found && { ...found },
        alreadyApplied: true,
        ...(finish ? { finished: finishable } : {}),
      });
      continue;
    }
    const { lookup } = input;
    const snapshot: LifecycleSnapshot = {
      byAuthState: overlay.find('authState', lookup.authState),
      byAuthCode: overlay.find('authCode', lookup.authCode),
      byTokenHash: overlay.find('tokenHash', lookup.tokenHash),
      consult: lookup.authState === undefined ? undefined : consults.get(lookup.authState),
      tombstone: lookup.tokenHash === undefined ? undefined : tombstones.get(lookup.tokenHash),
    };
    const decision = decideLifecycle(event, snapshot, ctx);
    let authorizationId: string | undefined;
    const write = decision.write;
    if (write?.kind === 'create') {
      if (overlay.byId.has(write.authorization.id))
        throw new AuthNotifyError('CONFLICT', `authorization ${write.authorization.id} exists`);
      overlay.put({ ...write.authorization, version: 0 }, undefined);
      overlay.created.add(write.authorization.id);
      authorizationId = write.authorization.id;
    } else if (write?.kind === 'update') {
      const current = overlay.byId.get(write.id);
      if (!current || current.version !== write.expectedVersion)
        throw new AuthNotifyError('CONFLICT', `authorization ${write.id} changed concurrently`);
      // patchAssignments refuses the fields a patch may not touch (id, version, created_at, unknown ones).
      const patched = patchAssignments(write.patch).columns;
      const next = { ...current, version: current.version + 1 } as Record<string, unknown>;
      for (const column of patched)
        next[FIELD_OF[column] as string] = write.patch[FIELD_OF[column] as keyof typeof write.patch];
      const columns = overlay.changedColumns.get(write.id) ?? new Set<string>();
      for (const column of patched) columns.add(column);
      overlay.changedColumns.set(write.id, columns);
      overlay.put(next as unknown as AuthorizationRecord, current);
      authorizationId = write.id;
    }
    const t = decision.tombstone;
    if (t && !tombstones.has(t.tokenHash)) {
      tombstones.set(t.tokenHash, t);
      newTombstones.push(t);
    }
    if (decision.timeline) {
      const e = decision.timeline;
      timeline.push([
        input.timelineId,
        e.authorizationId,
        e.kind,
        e.from,
        e.to,
        inboxId ?? null,
        e.detail,
        input.now,
      ]);
      authorizationId ??= e.authorizationId;
    }
    if (inboxId !== undefined) {
      const mark = { id: inboxId, outcome: decision.outcome, authorizationId: authorizationId ?? null };
      marks.set(inboxId, { ...mark, now: input.now, apply: true, finish: finishable });
    }
    const after = authorizationId === undefined ? undefined : overlay.byId.get(authorizationId);
    const emit = lifecycleEventRow(decision, after, input.timelineId, inboxId ?? null, input.now);
    if (emit) emitted.push(emit);
    results.push({
      decision,
      authorization: after && { ...after },
      alreadyApplied: false,
      ...(finish ? { finished: finishable } : {}),
    });
  }

  yield* writeBatch(
    dialect,
    overlay,
    newTombstones,
    timeline,
    emitted,
    [...marks.values()],
    mode === 'due' ? 1 : 0,
  );
  return results;
}

function* writeBatch(
  dialect: BatchDialect,
  overlay: Overlay,
  tombstones: readonly TombstoneRecord[],
  timeline: readonly unknown[][],
  events: readonly EventRow[],
  marks: readonly InboxMark[],
  /** Attempts counted by the finish (1 for due rows, which no claim counted). */
  bump: 0 | 1,
): Steps<void> {
  yield* insertRows(
    dialect,
    `INSERT INTO authorizations (${AUTHORIZATION_COLUMNS.join(', ')})`,
    AUTHORIZATION_TYPES,
    [...overlay.created].map((id) => authorizationValues(overlay.byId.get(id) as AuthorizationRecord)),
  );
  const changes: AuthorizationChange[] = [];
  for (const [id, columns] of overlay.changedColumns) {
    if (overlay.created.has(id)) continue;
    const record = overlay.byId.get(id) as unknown as Record<string, unknown>;
    const readVersion = overlay.readVersion.get(id) ?? 0;
    changes.push({
      id,
      record,
      columns: [...columns],
      readVersion,
      steps: Number(record.version) - readVersion,
    });
  }
  yield* updateAuthorizations(dialect, changes);
  yield* insertRows(
    dialect,
    'INSERT INTO tombstones (token_hash, reason, inbox_id, created_at)',
    ['text', 'text', 'text', 'bigint'],
    tombstones.map((t) => [t.tokenHash, t.reason, t.inboxId, t.createdAt]),
    ' ON CONFLICT (token_hash) DO NOTHING',
  );
  yield* insertRows(
    dialect,
    'INSERT INTO authorization_events (id, authorization_id, kind, from_status, to_status, inbox_id, detail, at)',
    ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'bigint'],
    timeline,
  );
  yield* insertRows(
    dialect,
    EVENT_SQL.insertEventsFrom,
    ['text', 'text', 'text', 'text', 'text', 'bigint'],
    events,
  );
  const finished = marks.filter((m) => m.apply && m.finish);
  if (dialect === 'postgres' && finished.length > 1) {
    yield* run(
      `UPDATE inbox SET applied = 1, outcome = v.outcome, authorization_id = v.authorization_id, status = 'PROCESSED',
          attempts = inbox.attempts + ?, lease_owner = NULL, leased_until = NULL, next_attempt_at = NULL, last_error = NULL, processed_at = v.now, updated_at = v.now
        FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[]) AS v(id, outcome, authorization_id, now)
        WHERE inbox.id = v.id`,
      bump,
      finished.map((m) => m.id),
      finished.map((m) => m.outcome),
      finished.map((m) => m.authorizationId),
      finished.map((m) => m.now),
    );
  } else {
    for (const m of finished)
      yield* run(SQL.applyAndFinishInbox, m.outcome, m.authorizationId, bump, m.now, m.now, m.id);
  }
  for (const m of marks) {
    if (m.apply && !m.finish) yield* run(SQL.markApplied, m.outcome, m.authorizationId, m.now, m.id);
    else if (!m.apply && m.finish) yield* run(SQL.finishProcessed, bump, m.now, m.now, m.id);
  }
}

/** `applyEvent`: a batch of one. */
export function* applyOneSteps(
  application: LifecycleApplication,
  dialect: BatchDialect,
): Steps<ApplyEventResult> {
  const [result] = yield* applyBatchSteps([application], dialect);
  return result as ApplyEventResult;
}
