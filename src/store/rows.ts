/** Row <-> record mapping shared by the SQLite and PostgreSQL stores. */

import type { AuthorizationRecord, ConsultRecord, TombstoneRecord } from '../authorization/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import type { Violation } from '../protocol/notification.js';
import type {
  AttemptRecord,
  ClaimedInboxRow,
  DeliveryVerdict,
  InboxRecord,
  InboxStatus,
  OutboxRecord,
  OutboxStatus,
  Page,
  TimelineEntry,
} from './types.js';

export type Row = Record<string, unknown>;

export const num = (v: unknown): number => (typeof v === 'string' ? Number(v) : (v as number));
export const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
export const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function bytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
  throw new Error('expected bytes');
}

/**
 * Turns `SELECT status, COUNT(*) AS n … GROUP BY status` rows into a count for every status, zero where a
 * status has no rows (so a gauge drops back to 0 instead of keeping its last value).
 */
export function countsByStatus<S extends string>(
  statuses: readonly S[],
  rows: Iterable<Row>,
): Record<S, number> {
  const counts = Object.fromEntries(statuses.map((s) => [s, 0])) as Record<S, number>;
  for (const r of rows) counts[r.status as S] = num(r.n);
  return counts;
}

/** A claimed row (the columns of SQL.claimInbox). */
export function toClaimedRow(r: Row): ClaimedInboxRow {
  return {
    id: String(r.id),
    eventKey: String(r.event_key),
    type: strOrNull(r.type),
    status: r.status as InboxStatus,
    rawBody: bytes(r.raw_body),
    attempts: num(r.attempts),
    leaseOwner: strOrNull(r.lease_owner),
    leasedUntil: numOrNull(r.leased_until),
    nextAttemptAt: numOrNull(r.next_attempt_at),
    applied: num(r.applied) === 1,
    receivedAt: num(r.received_at),
  };
}

export function toInboxRecord(r: Row): InboxRecord {
  return {
    ...toClaimedRow(r),
    // In inbox_headers (raw_headers) since migration 8; older rows keep them in inbox.headers.
    headers: JSON.parse(String(r.raw_headers ?? r.headers) || '{}') as Record<string, string>,
    path: String(r.path),
    matchedPath: r.matched_path as 'canonical' | 'received',
    keyVersion: String(r.key_version),
    violations: r.violations === null ? null : (JSON.parse(String(r.violations)) as Violation[]),
    duplicates: num(r.duplicates),
    lastError: strOrNull(r.last_error),
    outcome: strOrNull(r.outcome),
    authorizationId: strOrNull(r.authorization_id),
    requestId: String(r.request_id),
    lastDuplicateAt: numOrNull(r.last_duplicate_at),
    processedAt: numOrNull(r.processed_at),
    updatedAt: num(r.updated_at),
  };
}

export const AUTHORIZATION_COLUMNS = [
  'id',
  'status',
  'auth_state',
  'auth_code',
  'code_redeemed_at',
  'token_hash',
  'access_token_enc',
  'refresh_token_enc',
  'access_token_expires_at',
  'refresh_token_expires_at',
  'user_id',
  'user_login_id_masked',
  'auth_client_id',
  'merchant_user_id',
  'reason',
  'created_at',
  'updated_at',
  'version',
] as const;

/** The record field of each authorizations column. */
export const FIELD_OF: Record<string, keyof AuthorizationRecord> = {
  id: 'id',
  status: 'status',
  auth_state: 'authState',
  auth_code: 'authCode',
  code_redeemed_at: 'codeRedeemedAt',
  token_hash: 'tokenHash',
  access_token_enc: 'accessTokenEnc',
  refresh_token_enc: 'refreshTokenEnc',
  access_token_expires_at: 'accessTokenExpiresAt',
  refresh_token_expires_at: 'refreshTokenExpiresAt',
  user_id: 'userId',
  user_login_id_masked: 'userLoginIdMasked',
  auth_client_id: 'authClientId',
  merchant_user_id: 'merchantUserId',
  reason: 'reason',
  created_at: 'createdAt',
  updated_at: 'updatedAt',
  version: 'version',
};
export const COLUMN_OF: Record<string, string> = Object.fromEntries(
  Object.entries(FIELD_OF).map(([c, f]) => [f, c]),
);

/** Whether an authorizations column holds a number (BIGINT or INTEGER). */
export const isNumericColumn = (column: string): boolean => NUMERIC.has(column);

const NUMERIC = new Set([
  'code_redeemed_at',
  'access_token_expires_at',
  'refresh_token_expires_at',
  'created_at',
  'updated_at',
  'version',
]);

export function toAuthorizationRecord(r: Row): AuthorizationRecord {
  const out: Record<string, unknown> = {};
  for (const column of AUTHORIZATION_COLUMNS) {
    const v = r[column];
    out[FIELD_OF[column] as string] = NUMERIC.has(column) ? numOrNull(v) : v === undefined ? null : v;
  }
  return out as unknown as AuthorizationRecord;
}

/** Values of an authorization in AUTHORIZATION_COLUMNS order. */
export function authorizationValues(
  a: Omit<AuthorizationRecord, 'version'> & { version?: number },
): unknown[] {
  return AUTHORIZATION_COLUMNS.map((c) => {
    const v = (a as unknown as Record<string, unknown>)[FIELD_OF[c] as string];
    return v === undefined ? (c === 'version' ? 0 : null) : v;
  });
}

/** `SET col = ?, …` pairs for a patch, in a stable order. Unknown fields are a programming error. */
export function patchAssignments(patch: Record<string, unknown>): { columns: string[]; values: unknown[] } {
  const columns: string[] = [];
  const values: unknown[] = [];
  for (const [field, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const column = COLUMN_OF[field];
    if (!column || column === 'id' || column === 'version' || column === 'created_at') {
      throw new AuthNotifyError('INTERNAL_ERROR', `authorization field ${field} cannot be patched`);
    }
    columns.push(column);
    values.push(value);
  }
  return { columns, values };
}

export function toConsultRecord(r: Row): ConsultRecord {
  return {
    authState: String(r.auth_state),
    authorizationId: String(r.authorization_id),
    merchantReference: strOrNull(r.merchant_reference),
    createdAt: num(r.created_at),
    expiresAt: numOrNull(r.expires_at),
  };
}

export function toTombstoneRecord(r: Row): TombstoneRecord {
  return {
    tokenHash: String(r.token_hash),
    reason: strOrNull(r.reason),
    inboxId: strOrNull(r.inbox_id),
    createdAt: num(r.created_at),
  };
}

export function toTimelineEntry(r: Row): TimelineEntry {
  return {
    id: String(r.id),
    authorizationId: String(r.authorization_id),
    kind: String(r.kind),
    from: strOrNull(r.from_status) as TimelineEntry['from'],
    to: strOrNull(r.to_status) as TimelineEntry['to'],
    inboxId: strOrNull(r.inbox_id),
    detail: strOrNull(r.detail),
    at: num(r.at),
  };
}

/** Keyset cursor over (time, id), opaque to callers. */
export function encodeCursor(time: number, id: string): string {
  return Buffer.from(JSON.stringify([time, id])).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): [number, string] | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string')
      return [value[0], value[1]];
  } catch {
    // fall through
  }
  throw new AuthNotifyError('PARAM_ILLEGAL', 'the cursor is not one this API returned', { status: 400 });
}

/** True for a driver's unique-constraint violation (SQLite SQLITE_CONSTRAINT_UNIQUE/PRIMARYKEY, PostgreSQL 23505). */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * A driver's error as the store reports it: a unique violation is a `CONFLICT` (the row exists; retrying
 * will not help), anything else `STORE_UNAVAILABLE` (retry later). Callers branch on the code, never on a
 * driver's message.
 */
export function storeError(error: unknown, what: string): AuthNotifyError {
  if (error instanceof AuthNotifyError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (isUniqueViolation(error))
    return new AuthNotifyError(
      'CONFLICT',
      `the store could not ${what}: a row with the same key exists (${detail})`,
      {
        cause: error,
      },
    );
  return new AuthNotifyError('STORE_UNAVAILABLE', `the store could not ${what}: ${detail}`, { cause: error });
}

export function page<T>(rows: T[], limit: number, cursorOf: (row: T) => string): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, nextCursor: rows.length > limit && last !== undefined ? cursorOf(last) : null };
}

export function toOutboxRecord(r: Row): OutboxRecord {
  return {
    id: String(r.id),
    targetUrl: String(r.target_url),
    clientId: String(r.client_id),
    keyVersion: strOrNull(r.key_version),
    type: strOrNull(r.type),
    body: bytes(r.body),
    schedule: JSON.parse(String(r.schedule)) as number[],
    status: r.status as OutboxStatus,
    run: num(r.run),
    attempts: num(r.attempts),
    nextAttemptAt: numOrNull(r.next_attempt_at) ?? 0,
    leaseOwner: strOrNull(r.lease_owner),
    leasedUntil: numOrNull(r.leased_until),
    createdAt: num(r.created_at),
    updatedAt: num(r.updated_at),
    acknowledgedAt: numOrNull(r.acknowledged_at),
  };
}

export function toAttemptRecord(r: Row): AttemptRecord {
  return {
    id: String(r.id),
    outboxId: String(r.outbox_id),
    run: num(r.run),
    number: num(r.number),
    dueAt: num(r.due_at),
    startedAt: num(r.started_at),
    finishedAt: num(r.finished_at),
    requestTime: String(r.request_time),
    httpStatus: numOrNull(r.http_status),
    responseExcerpt: strOrNull(r.response_excerpt),
    errorClass: strOrNull(r.error_class),
    verdict: r.verdict as DeliveryVerdict,
    worker: String(r.worker),
  };
}
