/**
 * The persistence port. One interface, two implementations (SQLite embedded, PostgreSQL for many
 * processes), one contract test suite (test/store/contract.ts). Times are epoch milliseconds from the
 * injected clock; the store never reads the time itself.
 */
import type {
  AuthorizationRecord,
  AuthorizationStatus,
  ConsultRecord,
  LifecycleContext,
  LifecycleDecision,
  LifecycleEvent,
  LifecycleLookup,
} from '../authorization/types.js';
import type { Violation } from '../protocol/notification.js';
import type { EventStore } from './event-types.js';
import type {
  AttemptRecord,
  NewOutboxRow,
  OutboxFilter,
  OutboxNext,
  OutboxRecord,
  OutboxStatus,
} from './outbox-types.js';
import type { Page } from './page.js';

export type InboxStatus = 'PENDING' | 'PROCESSING' | 'PROCESSED' | 'FAILED' | 'QUARANTINED';
export const INBOX_STATUSES: readonly InboxStatus[] = [
  'PENDING',
  'PROCESSING',
  'PROCESSED',
  'FAILED',
  'QUARANTINED',
];

export interface NewInboxRow {
  id: string;
  /** Dedupe key: `TYPE:<authCode|accessToken>`, or `QUARANTINED:<sha256 of body>` for invalid bodies. */
  eventKey: string;
  /** `authorizationNotifyType` as sent, when it was readable. */
  type: string | null;
  status: 'PENDING' | 'QUARANTINED';
  rawBody: Uint8Array;
  /** Client-Id, Request-Time, Signature and Content-Type exactly as received. */
  headers: Record<string, string>;
  path: string;
  matchedPath: 'canonical' | 'received';
  keyVersion: string;
  violations: Violation[] | null;
  requestId: string;
  receivedAt: number;
  /**
   * The lifecycle event this notification means, without its subject (`factsOf` of authorization/), for
   * rows a store may apply itself (`applyDue`); absent for quarantined rows.
   */
  facts?: string | null | undefined;
  /**
   * Set by a receiver whose processor is running, for a row with facts whose type has nothing to run after
   * its lifecycle: the store may apply the lifecycle in the insert's own transaction, as `applyDue` would,
   * and answer `applied`. The SQLite store does; the others leave the row PENDING for the processor.
   */
  applyAtReceipt?: { acceptUnknownAuthState: boolean } | undefined;
}

export interface InboxRecord {
  id: string;
  eventKey: string;
  type: string | null;
  status: InboxStatus;
  rawBody: Uint8Array;
  headers: Record<string, string>;
  path: string;
  matchedPath: 'canonical' | 'received';
  keyVersion: string;
  violations: Violation[] | null;
  duplicates: number;
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
  leaseOwner: string | null;
  leasedUntil: number | null;
  /** True once the lifecycle effect of this notification is committed. */
  applied: boolean;
  /** What applying it did: APPLIED, NO_CHANGE, IGNORED_TERMINAL, UNKNOWN_AUTH_STATE, TOMBSTONED, … */
  outcome: string | null;
  authorizationId: string | null;
  requestId: string;
  receivedAt: number;
  lastDuplicateAt: number | null;
  processedAt: number | null;
  updatedAt: number;
}

/**
 * What a claim answers for each leased row: what processing needs, not the stored headers and
 * classification (read those with `getInbox`). Returning less is most of a claim's cost saved.
 */
export type ClaimedInboxRow = Pick<
  InboxRecord,
  | 'id'
  | 'eventKey'
  | 'type'
  | 'status'
  | 'rawBody'
  | 'attempts'
  | 'leaseOwner'
  | 'leasedUntil'
  | 'nextAttemptAt'
  | 'applied'
  | 'receivedAt'
>;

/** A processing attempt that failed: the row was retried (RETRY) or given up (FAILED). */
export interface InboxAttemptRecord {
  id: string;
  inboxId: string;
  /** The row's attempt count when it failed (1-based). */
  attempt: number;
  worker: string;
  error: string;
  outcome: 'RETRY' | 'FAILED';
  at: number;
}

/** How many notifications of one status were received in one time bucket. */
export interface InboxActivity {
  /** Start of the bucket, epoch ms. */
  bucket: number;
  status: InboxStatus;
  count: number;
}

export interface InboxInsertResult {
  outcome: 'inserted' | 'duplicate';
  id: string;
  duplicates: number;
  /** The lifecycle applied with the insert (`applyAtReceipt`); absent when the row was left PENDING. */
  applied?: AppliedDue | undefined;
}

export interface InboxClaim {
  now: number;
  limit: number;
  leaseMs: number;
  owner: string;
  /**
   * Types whose PENDING rows with stored lifecycle facts are left to `applyDue` (the processor's short
   * way), so that a claim does not lease rows the store applies itself. Expired leases are claimed
   * whatever their type. Empty or absent: every due row may be claimed.
   */
  leaveDue?: readonly string[];
}

export type InboxFinish =
  | { status: 'PROCESSED'; now: number }
  | { status: 'PENDING'; now: number; nextAttemptAt: number; error: string }
  | { status: 'FAILED'; now: number; error: string };

export interface InboxFilter {
  status?: InboxStatus | undefined;
  type?: string | undefined;
  /** What applying it did (APPLIED, NO_CHANGE, TOMBSTONED, …). */
  outcome?: string | undefined;
  /** Received at or after this time (epoch ms). */
  receivedFrom?: number | undefined;
  /** Received before this time (epoch ms). */
  receivedTo?: number | undefined;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string | undefined;
}

export type { Page } from './page.js';

export interface ApplyEventInput {
  lookup: LifecycleLookup;
  /** The inbox row this event comes from; it is marked applied in the same transaction. */
  inbox?: { id: string; owner: string };
  timelineId: string;
  now: number;
}

/** One event for `Store.applyEvents`: the rows it reads, the event and the context it is decided in. */
export interface LifecycleApplication {
  input: ApplyEventInput;
  event: LifecycleEvent;
  ctx: LifecycleContext;
  /**
   * Also finish the inbox row PROCESSED in the same transaction, if `owner` still holds its lease (for
   * rows with nothing left to run after their lifecycle). The result says whether it was finished.
   */
  finish?: { owner: string } | undefined;
}

/** `Store.applyDue`: which due rows to apply in the store, and how. */
export interface DueRequest {
  now: number;
  limit: number;
  /** Types with nothing to run after their lifecycle (no handler, no authCode to redeem). */
  types: readonly string[];
  acceptUnknownAuthState: boolean;
}

/** A row `applyDue` applied and finished PROCESSED. */
export interface AppliedDue {
  id: string;
  type: string | null;
  outcome: string;
  authorizationId: string | null;
  alreadyApplied: boolean;
}

export interface ApplyEventResult {
  decision: LifecycleDecision;
  authorization: AuthorizationRecord | undefined;
  /** True when the inbox row had already been applied (the decision was not executed again). */
  alreadyApplied: boolean;
  /** With `finish`: whether the row was finished PROCESSED in the same transaction (false: lease lost). */
  finished?: boolean;
}

export interface TimelineEntry {
  id: string;
  authorizationId: string;
  kind: string;
  from: AuthorizationStatus | null;
  to: AuthorizationStatus | null;
  inboxId: string | null;
  detail: string | null;
  at: number;
}

export interface AuthorizationFilter {
  status?: AuthorizationStatus | undefined;
  authState?: string | undefined;
  tokenHash?: string | undefined;
  merchantUserId?: string | undefined;
  /** The wallet login as stored, masked (mask the login you search for with `maskLoginId`). */
  userLoginIdMasked?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export {
  type AttemptRecord,
  type DeliveryVerdict,
  type NewOutboxRow,
  OUTBOX_STATUSES,
  type OutboxFilter,
  type OutboxNext,
  type OutboxRecord,
  type OutboxStatus,
} from './outbox-types.js';

export interface Store {
  readonly kind: 'sqlite' | 'postgres' | 'memory';
  /** The event log (written with the lifecycle changes) and the forwarding queue. */
  readonly events: EventStore;
  /** Applies pending migrations; returns the versions applied now. */
  migrate(now: number): Promise<number[]>;
  /** The highest applied migration version (0 before any). */
  schemaVersion(): Promise<number>;
  /** Resolves when the store can be reached and written (it writes a probe row). */
  ping(): Promise<void>;
  close(): Promise<void>;
  /**
   * Stores `value` under `name` unless a value is stored already; answers the stored value (so the first
   * writer wins, across processes). Used for the secret key check.
   */
  claimSetting(name: string, value: string, now: number): Promise<string>;
  getSetting(name: string): Promise<string | undefined>;
  /** True when any notification, authorization, tombstone or delivery is stored. */
  hasData(): Promise<boolean>;

  /** Durable insert or duplicate bump, keyed by `eventKey`. Resolves only after the commit. */
  insertInbox(row: NewInboxRow): Promise<InboxInsertResult>;
  /** Leases due rows (PENDING due, or PROCESSING with an expired lease); counts an attempt each. */
  claimInbox(claim: InboxClaim): Promise<ClaimedInboxRow[]>;
  /** Ends a lease. Returns false when the lease was lost to another worker. */
  finishInbox(id: string, owner: string, finish: InboxFinish): Promise<boolean>;
  getInbox(id: string): Promise<InboxRecord | undefined>;
  listInbox(filter: InboxFilter): Promise<Page<InboxRecord>>;
  /**
   * Rows received after `after` (receipt time, id) and at or before `until`, oldest first: what a live
   * view follows (`authnotify tail`).
   */
  inboxSince(after: [number, string] | undefined, until: number, limit: number): Promise<InboxRecord[]>;
  /** Puts a QUARANTINED or FAILED row back in the queue, with a new classification for quarantined rows. */
  requeueInbox(
    id: string,
    now: number,
    reclassified?: { eventKey: string; type: string; violations: null },
  ): Promise<InboxRecord | undefined>;
  /**
   * Queues a PROCESSED row again so that its handlers run again (a replay). Its lifecycle is not applied
   * again: the row stays applied, with its outcome. Undefined when the row is not PROCESSED.
   */
  replayInbox(id: string, now: number): Promise<InboxRecord | undefined>;
  countInbox(): Promise<Record<InboxStatus, number>>;
  /** Notifications received since `since`, counted per `bucketMs` (by receipt time) and status, oldest first. */
  inboxActivity(since: number, bucketMs: number): Promise<InboxActivity[]>;

  /**
   * Reads the snapshot `input.lookup` names, decides `event` with the pure lifecycle
   * (`decideLifecycle` of `authorization/`) and writes the decision — all in one transaction. The event
   * crosses the port as data, so a store in another thread or process decides it where the rows are.
   */
  applyEvent(input: ApplyEventInput, event: LifecycleEvent, ctx: LifecycleContext): Promise<ApplyEventResult>;
  /**
   * Several `applyEvent`s in one transaction, in order (later events see earlier writes). All or nothing:
   * if one fails, none is written and the error is rethrown.
   */
  applyEvents(events: readonly LifecycleApplication[]): Promise<ApplyEventResult[]>;
  /**
   * The failed processing attempts of a row, oldest first (each finish with an error logs one, in the
   * finish's transaction; a success is the row's `processedAt`).
   */
  listInboxAttempts(inboxId: string): Promise<InboxAttemptRecord[]>;
  /**
   * Applies due PENDING rows of `types` that carry their lifecycle facts, and finishes them PROCESSED, in
   * one transaction (all or nothing). The processor's way for rows with nothing to run afterwards.
   */
  applyDue(request: DueRequest): Promise<AppliedDue[]>;
  /** Several `finishInbox` calls in one transaction. */
  finishInboxMany(items: readonly { id: string; owner: string; finish: InboxFinish }[]): Promise<boolean[]>;
  /**
   * Extends the leases `owner` still holds on these rows to `leasedUntil` (a pass whose handlers run long
   * keeps its rows); answers the ids renewed. A row missing from it was finished, lost to another worker,
   * or (PostgreSQL) locked by a transaction at that moment, which renewal skips rather than waits for.
   */
  renewInboxLeases(ids: readonly string[], owner: string, leasedUntil: number): Promise<string[]>;
  /**
   * Claims an authCode for redemption (applyToken): true for exactly one caller, however many race
   * (the redirect and AUTHCODE_CREATED). `releaseCodeRedemption` gives it back when the outcome was unknown.
   */
  claimCodeRedemption(authCode: string, now: number): Promise<boolean>;
  releaseCodeRedemption(authCode: string): Promise<void>;
  /** ACTIVE authorizations whose access token expires before `before`, soonest first. */
  listExpiring(before: number, limit: number): Promise<AuthorizationRecord[]>;
  /** Adds a notification to deliver. */
  enqueueOutbox(row: NewOutboxRow): Promise<void>;
  /**
   * The INSERT `enqueueOutbox` would run, in this store's SQL dialect, for a caller to execute inside its
   * own transaction (so the notification is queued only if the caller's transaction commits).
   */
  outboxInsert(row: NewOutboxRow): { text: string; values: unknown[] };
  /** Leases due deliveries (PENDING due, or DELIVERING with an expired lease). */
  claimOutbox(claim: InboxClaim): Promise<OutboxRecord[]>;
  /** Logs an attempt and moves the row on, in one transaction, if `owner` still holds the lease. */
  recordAttempt(attempt: AttemptRecord, next: OutboxNext, now: number): Promise<boolean>;
  getOutbox(id: string): Promise<OutboxRecord | undefined>;
  listOutbox(filter: OutboxFilter): Promise<Page<OutboxRecord>>;
  listAttempts(outboxId: string): Promise<AttemptRecord[]>;
  countOutbox(): Promise<Record<OutboxStatus, number>>;
  /** Starts a new run of deliveries now (any state but DELIVERING). */
  redeliverOutbox(id: string, now: number): Promise<OutboxRecord | undefined>;
  /** Stops further deliveries (PENDING or EXHAUSTED rows). */
  cancelOutbox(id: string, now: number): Promise<OutboxRecord | undefined>;
  saveConsult(consult: ConsultRecord, authorization: Omit<AuthorizationRecord, 'version'>): Promise<void>;
  getAuthorization(id: string): Promise<AuthorizationRecord | undefined>;
  getConsult(authState: string): Promise<ConsultRecord | undefined>;
  listAuthorizations(filter: AuthorizationFilter): Promise<Page<AuthorizationRecord>>;
  timeline(authorizationId: string): Promise<TimelineEntry[]>;
}

/** The store could not be reached or could not write: the receiver answers 503 with `U`. */
export function isStoreUnavailable(error: unknown): boolean {
  return error instanceof Error && (error as { code?: string }).code === 'STORE_UNAVAILABLE';
}
