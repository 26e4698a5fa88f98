/** The sender's outbox as the store keeps it: deliveries to Alipay-style receivers and their attempts. */
export type OutboxStatus = 'PENDING' | 'DELIVERING' | 'ACKNOWLEDGED' | 'EXHAUSTED' | 'CANCELED';
export const OUTBOX_STATUSES: readonly OutboxStatus[] = [
  'PENDING',
  'DELIVERING',
  'ACKNOWLEDGED',
  'EXHAUSTED',
  'CANCELED',
];

export interface NewOutboxRow {
  id: string;
  targetUrl: string;
  clientId: string;
  keyVersion: string | null;
  type: string | null;
  /** The exact bytes each delivery sends. */
  body: Uint8Array;
  /** Wait before each delivery in ms (already divided by any time scale). */
  schedule: readonly number[];
  nextAttemptAt: number;
  createdAt: number;
}

export interface OutboxRecord extends NewOutboxRow {
  status: OutboxStatus;
  /** A redelivery by hand starts run 2, 3, … with attempts counted from 0 again. */
  run: number;
  attempts: number;
  leaseOwner: string | null;
  leasedUntil: number | null;
  updatedAt: number;
  acknowledgedAt: number | null;
}

export type DeliveryVerdict =
  | 'ACKNOWLEDGED'
  | 'NOT_2XX'
  | 'NOT_AN_ACK'
  | 'REDIRECT_REFUSED'
  | 'TIMEOUT'
  | 'CONNECTION_REFUSED'
  | 'NETWORK_ERROR'
  /** Acknowledged, but a fault injection said to treat it as lost (sandbox). */
  | 'ACK_DROPPED_BY_FAULT';

export interface AttemptRecord {
  id: string;
  outboxId: string;
  run: number;
  /** 1-based within the run. */
  number: number;
  dueAt: number;
  startedAt: number;
  finishedAt: number;
  requestTime: string;
  httpStatus: number | null;
  /** First 4 KiB of the response body. */
  responseExcerpt: string | null;
  errorClass: string | null;
  verdict: DeliveryVerdict;
  worker: string;
}

export type OutboxNext =
  | { status: 'PENDING'; nextAttemptAt: number }
  | { status: 'ACKNOWLEDGED' }
  | { status: 'EXHAUSTED' };

export interface OutboxFilter {
  status?: OutboxStatus | undefined;
  limit: number;
  cursor?: string | undefined;
}
