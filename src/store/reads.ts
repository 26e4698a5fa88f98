/**
 * The store's single-statement reads (and the few single-statement updates that answer a row), written
 * once as data: the statement, its parameters and how its rows become records. The SQLite store runs
 * them on a prepared statement, the PostgreSQL store on its pool; both give the same answers.
 */
import type { AuthorizationRecord, ConsultRecord } from '../authorization/types.js';
import {
  countsByStatus,
  decodeCursor,
  encodeCursor,
  page,
  type Row,
  toAttemptRecord,
  toAuthorizationRecord,
  toConsultRecord,
  toInboxRecord,
  toOutboxRecord,
  toTimelineEntry,
} from './rows.js';
import { INBOX_FROM, pageQuery, requeueQuery, SQL } from './statements.js';
import {
  type AttemptRecord,
  type AuthorizationFilter,
  INBOX_STATUSES,
  type InboxActivity,
  type InboxAttemptRecord,
  type InboxFilter,
  type InboxRecord,
  type InboxStatus,
  OUTBOX_STATUSES,
  type OutboxFilter,
  type OutboxRecord,
  type OutboxStatus,
  type Page,
  type TimelineEntry,
} from './types.js';

/** One statement and the shape of its answer; `what` names it in errors ("could not list the inbox"). */
export interface ReadQuery<T> {
  what: string;
  sql: string;
  params: unknown[];
  shape: (rows: Row[]) => T;
}

function first<T>(
  what: string,
  sql: string,
  params: unknown[],
  map: (row: Row) => T,
): ReadQuery<T | undefined> {
  return { what, sql, params, shape: (rows) => (rows[0] === undefined ? undefined : map(rows[0])) };
}

function all<T>(what: string, sql: string, params: unknown[], map: (row: Row) => T): ReadQuery<T[]> {
  return { what, sql, params, shape: (rows) => rows.map(map) };
}

function paged<T>(
  what: string,
  table: Parameters<typeof pageQuery>[0],
  timeColumn: Parameters<typeof pageQuery>[1],
  filters: [string, string | undefined][],
  filter: { limit: number; cursor?: string | undefined },
  map: (row: Row) => T,
  cursorOf: (record: T) => string,
  range: Parameters<typeof pageQuery>[5] = {},
): ReadQuery<Page<T>> {
  const { sql, params } = pageQuery(
    table,
    timeColumn,
    filters,
    decodeCursor(filter.cursor),
    filter.limit,
    range,
  );
  return { what, sql, params, shape: (rows) => page(rows.map(map), filter.limit, cursorOf) };
}

export const reads = {
  getInbox: (id: string) => first('read an inbox row', SQL.getInbox, [id], toInboxRecord),
  listInbox: (filter: InboxFilter): ReadQuery<Page<InboxRecord>> =>
    paged(
      'list the inbox',
      'inbox',
      'received_at',
      [
        ['status', filter.status],
        ['type', filter.type],
        ['outcome', filter.outcome],
      ],
      filter,
      toInboxRecord,
      (r) => encodeCursor(r.receivedAt, r.id),
      { from: filter.receivedFrom, to: filter.receivedTo },
    ),
  listInboxAttempts: (inboxId: string): ReadQuery<InboxAttemptRecord[]> =>
    all('list processing attempts', SQL.listInboxAttempts, [inboxId], (r) => ({
      id: String(r.id),
      inboxId: String(r.inbox_id),
      attempt: Number(r.attempt),
      worker: String(r.worker),
      error: String(r.error),
      outcome: r.outcome === 'FAILED' ? 'FAILED' : 'RETRY',
      at: Number(r.at),
    })),
  inboxSince: (
    after: [number, string] | undefined,
    until: number,
    limit: number,
  ): ReadQuery<InboxRecord[]> => {
    const [time, id] = after ?? [-1, ''];
    return all(
      'follow the inbox',
      `SELECT * FROM ${INBOX_FROM} WHERE (received_at > ? OR (received_at = ? AND id > ?)) AND received_at <= ?
        ORDER BY received_at, id LIMIT ?`,
      [time, time, id, until, limit],
      toInboxRecord,
    );
  },
  requeueInbox: (
    id: string,
    now: number,
    reclassified?: { eventKey: string; type: string; violations: null },
  ) => {
    const { sql, params } = requeueQuery(id, now, reclassified);
    return first('requeue an inbox row', sql, params, (r) => String(r.id));
  },
  inboxActivity: (since: number, bucketMs: number): ReadQuery<InboxActivity[]> =>
    all('count recent notifications', SQL.inboxActivity, [bucketMs, bucketMs, since], (r) => ({
      bucket: Number(r.bucket),
      status: r.status as InboxStatus,
      count: Number(r.n),
    })),
  replayInbox: (id: string, now: number) =>
    first('replay an inbox row', SQL.replayInbox, [now, now, id], (r) => String(r.id)),
  countInbox: (): ReadQuery<Record<InboxStatus, number>> => ({
    what: 'count the inbox',
    sql: SQL.countInbox,
    params: [],
    shape: (rows) => countsByStatus(INBOX_STATUSES, rows),
  }),
  listExpiring: (before: number, limit: number): ReadQuery<AuthorizationRecord[]> =>
    all('list expiring tokens', SQL.listExpiring, [before, limit], toAuthorizationRecord),
  getOutbox: (id: string) => first('read a delivery', SQL.getOutbox, [id], toOutboxRecord),
  listOutbox: (filter: OutboxFilter): ReadQuery<Page<OutboxRecord>> =>
    paged(
      'list deliveries',
      'outbox',
      'created_at',
      [['status', filter.status]],
      filter,
      toOutboxRecord,
      (r) => encodeCursor(r.createdAt, r.id),
    ),
  listAttempts: (outboxId: string): ReadQuery<AttemptRecord[]> =>
    all('list delivery attempts', SQL.listAttempts, [outboxId], toAttemptRecord),
  countOutbox: (): ReadQuery<Record<OutboxStatus, number>> => ({
    what: 'count deliveries',
    sql: SQL.countOutbox,
    params: [],
    shape: (rows) => countsByStatus(OUTBOX_STATUSES, rows),
  }),
  redeliverOutbox: (id: string, now: number) =>
    first('redeliver', SQL.redeliverOutbox, [now, now, id], toOutboxRecord),
  cancelOutbox: (id: string, now: number) =>
    first('cancel a delivery', SQL.cancelOutbox, [now, id], toOutboxRecord),
  getConsult: (authState: string): ReadQuery<ConsultRecord | undefined> =>
    first('read a consult', SQL.consultBy(false), [authState], toConsultRecord),
  getAuthorization: (id: string): ReadQuery<AuthorizationRecord | undefined> =>
    first('read an authorization', SQL.authorizationBy('id', false), [id], toAuthorizationRecord),
  listAuthorizations: (filter: AuthorizationFilter): ReadQuery<Page<AuthorizationRecord>> =>
    paged(
      'list authorizations',
      'authorizations',
      'updated_at',
      [
        ['status', filter.status],
        ['auth_state', filter.authState],
        ['token_hash', filter.tokenHash],
        ['merchant_user_id', filter.merchantUserId],
        ['user_login_id_masked', filter.userLoginIdMasked],
      ],
      filter,
      toAuthorizationRecord,
      (r) => encodeCursor(r.updatedAt, r.id),
    ),
  timeline: (authorizationId: string): ReadQuery<TimelineEntry[]> =>
    all('read a timeline', SQL.timeline, [authorizationId], toTimelineEntry),
};
