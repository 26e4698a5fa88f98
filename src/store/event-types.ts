/**
 * The event log and forwarding part of the persistence port (issue 15): events are written by the store
 * in the transaction of the change they describe (lifecycle writes, quarantined inserts); destinations
 * and their deliveries are a queue with leases, like the sender's outbox.
 *
 * Feed positions are opaque strings. On PostgreSQL an event's position is (writing transaction id,
 * sequence), and the feed only shows events whose writer and every older writer have finished, so a
 * position once passed never gains an earlier event (ids from a sequence alone commit out of order).
 */
import type { Page } from './page.js';

export interface EventRecord {
  id: string;
  /** Where the event stands in the feed; pass it as `after` to read what follows. */
  position: string;
  type: string;
  authorizationId: string | null;
  inboxId: string | null;
  /** The payload as JSON text: the exact bytes every delivery sends. */
  payload: string;
  createdAt: number;
}

export interface EventFeedFilter {
  /** A position from an earlier read; the start of the feed when absent. */
  after?: string | undefined;
  limit: number;
  /** Only these types (all when absent or empty). */
  types?: readonly string[] | undefined;
}

export interface EventFeedPage {
  items: EventRecord[];
  /** Where to read on from: the last item's position, or `after` when nothing new was visible. */
  next: string;
}

export type DestinationStatus = 'ACTIVE' | 'PAUSED' | 'DISABLED';
export const DESTINATION_STATUSES: readonly DestinationStatus[] = ['ACTIVE', 'PAUSED', 'DISABLED'];

/** A signing secret, sealed by the caller (never stored in plaintext). */
export interface DestinationSecret {
  sealed: string;
  createdAt: number;
  /** After a rotation the old secret signs too until then; null: no end. */
  expiresAt: number | null;
}

export interface NewDestinationRow {
  id: string;
  url: string;
  description: string | null;
  /** Event types delivered; null: every type. */
  types: string[] | null;
  secrets: DestinationSecret[];
  /** `config` for --forward-to destinations (kept in step with the flags), `api` for the admin API's. */
  source: 'config' | 'api';
  createdAt: number;
}

export interface DestinationRecord extends NewDestinationRow {
  status: DestinationStatus;
  disabledReason: string | null;
  /** Start of the current run of failed attempts; null while deliveries succeed. */
  failingSince: number | null;
  /** The feed position up to which events have become deliveries. */
  position: string;
  updatedAt: number;
}

export interface DestinationChange {
  url?: string;
  status?: DestinationStatus;
  disabledReason?: string | null;
  types?: string[] | null;
  secrets?: DestinationSecret[];
  description?: string | null;
}

export type ForwardStatus = 'PENDING' | 'DELIVERING' | 'DELIVERED' | 'EXHAUSTED' | 'CANCELED';
export const FORWARD_STATUSES: readonly ForwardStatus[] = [
  'PENDING',
  'DELIVERING',
  'DELIVERED',
  'EXHAUSTED',
  'CANCELED',
];

export type ForwardVerdict =
  | 'DELIVERED'
  | 'NOT_2XX'
  | 'REDIRECT_REFUSED'
  | 'TIMEOUT'
  | 'CONNECTION_REFUSED'
  | 'NETWORK_ERROR';

/** One event to one destination. */
export interface DeliveryRecord {
  id: string;
  eventId: string;
  destinationId: string;
  eventType: string;
  eventCreatedAt: number;
  status: ForwardStatus;
  /** A redelivery by hand starts run 2, 3, … with attempts counted from 0 again. */
  run: number;
  attempts: number;
  nextAttemptAt: number | null;
  leaseOwner: string | null;
  leasedUntil: number | null;
  lastHttpStatus: number | null;
  lastVerdict: ForwardVerdict | null;
  createdAt: number;
  updatedAt: number;
  deliveredAt: number | null;
}

/** A leased delivery with what an attempt needs: where, what and the secrets to sign with. */
export interface ClaimedDelivery extends DeliveryRecord {
  url: string;
  payload: string;
  secrets: DestinationSecret[];
}

export interface DeliveryAttemptRecord {
  id: string;
  deliveryId: string;
  run: number;
  /** 1-based within the run. */
  number: number;
  startedAt: number;
  finishedAt: number;
  httpStatus: number | null;
  /** The first bytes of the answer. */
  responseExcerpt: string | null;
  errorClass: string | null;
  verdict: ForwardVerdict;
  worker: string;
}

export type DeliveryNext =
  | { status: 'PENDING'; nextAttemptAt: number }
  | { status: 'DELIVERED' }
  | { status: 'EXHAUSTED' };

export interface DeliveryOutcome {
  /** False when the lease was lost: nothing was written. */
  recorded: boolean;
  /** True when this failure disabled the destination (it had been failing for `disableAfterMs`). */
  disabled: boolean;
}

export interface DeliveryFilter {
  destinationId?: string | undefined;
  eventId?: string | undefined;
  status?: ForwardStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface DeliveryCount {
  destinationId: string;
  status: ForwardStatus;
  count: number;
}

export interface DeliveryClaim {
  now: number;
  limit: number;
  leaseMs: number;
  owner: string;
}

export interface EventStore {
  /** Events after a position, oldest first, only those every writer before them has committed. */
  feed(filter: EventFeedFilter): Promise<EventFeedPage>;
  /** The position of the newest visible event (where a new reader starts "from now"). */
  head(): Promise<string>;
  get(id: string): Promise<EventRecord | undefined>;
  /**
   * Deletes up to `limit` events created before `before` with no delivery still to make, with their
   * finished deliveries and attempts. Answers how many events went.
   */
  prune(before: number, limit: number): Promise<number>;

  /** Stores a destination that starts at the feed's head (events before it are not delivered to it). */
  createDestination(row: NewDestinationRow): Promise<DestinationRecord>;
  getDestination(id: string): Promise<DestinationRecord | undefined>;
  listDestinations(): Promise<DestinationRecord[]>;
  updateDestination(
    id: string,
    change: DestinationChange,
    now: number,
  ): Promise<DestinationRecord | undefined>;
  /** Deletes a destination and its deliveries. False when there was none. */
  deleteDestination(id: string): Promise<boolean>;

  /**
   * Turns the events after an ACTIVE destination's position into its deliveries (types filtered) and moves
   * the position on, in one transaction; a destination another worker is fanning out is skipped. Answers
   * how many deliveries were made.
   */
  fanOut(destinationId: string, limit: number, now: number): Promise<number>;
  /** Leases due deliveries of ACTIVE destinations (PENDING due, or DELIVERING with an expired lease). */
  claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]>;
  /**
   * Logs an attempt and moves the delivery on in one transaction, if `attempt.worker` still holds the
   * lease; a failure starts or continues the destination's failing run and disables it once that run is
   * `disableAfterMs` long; a success ends the run.
   */
  recordDeliveryAttempt(
    attempt: DeliveryAttemptRecord,
    next: DeliveryNext,
    now: number,
    disableAfterMs: number,
  ): Promise<DeliveryOutcome>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  listDeliveries(filter: DeliveryFilter): Promise<Page<DeliveryRecord>>;
  listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]>;
  /** Starts a new run now (any state but DELIVERING). */
  redeliver(id: string, now: number): Promise<DeliveryRecord | undefined>;
  /** Starts a new run of every EXHAUSTED delivery to `destinationId` whose event was made at or after `since`. */
  redeliverFailed(destinationId: string, since: number, now: number): Promise<number>;
  countDeliveries(): Promise<DeliveryCount[]>;
  /** When the oldest event still waiting for a delivery was made (null: none waits). */
  oldestUndelivered(): Promise<number | null>;
}
