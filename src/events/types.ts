/**
 * The merchant's own event stream (issue 15): what authnotify tells the merchant's systems after it
 * changed an authorization or quarantined a notification. Payloads have the Standard Webhooks shape
 * `{ type, timestamp, data }`; `data` never carries a token or a token hash, and the wallet login is masked.
 */
import type { AuthorizationStatus } from '../authorization/types.js';

/** Lifecycle changes, one type per status an authorization moves to (and a refresh, which keeps ACTIVE). */
export const AUTHORIZATION_EVENT_TYPES = [
  'authorization.code_received',
  'authorization.activated',
  'authorization.refreshed',
  'authorization.canceled',
  'authorization.revoked',
  'authorization.expired',
  'authorization.failed',
] as const;

export const EVENT_TYPES = [...AUTHORIZATION_EVENT_TYPES, 'notification.quarantined'] as const;

export type AuthorizationEventType = (typeof AUTHORIZATION_EVENT_TYPES)[number];
export type EventType = (typeof EVENT_TYPES)[number];

/** True when `value` names an event type authnotify emits. */
export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

export type AuthorizationStatusName = AuthorizationStatus;

/**
 * `data` of every `authorization.*` event: the authorization as the admin API shows it, after the change.
 * `version` grows with every change of one authorization, so it orders that authorization's events: an
 * event whose `version` is not above the last one you applied is stale (delivered late) and can be dropped.
 */
export interface AuthorizationEventData {
  id: string;
  status: AuthorizationStatusName;
  /** The status before this change (null when the change created the authorization). */
  previousStatus: AuthorizationStatusName | null;
  authState: string | null;
  userId: string | null;
  /** The wallet login, masked (`a***@example.com`). */
  userLoginId: string | null;
  authClientId: string | null;
  merchantUserId: string | null;
  /** Why it ended: the wallet's cancel reason, applyToken's result code, the decline reason. */
  reason: string | null;
  /** The notification that caused the change, when a notification did. */
  notificationId: string | null;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** One rule a quarantined notification broke (field path, rule, message), as the inbox records it. */
export interface EventViolation {
  path: string;
  rule: string;
  message: string;
}

/** `data` of `notification.quarantined`: a genuine notification that failed validation, kept for an operator. */
export interface QuarantineEventData {
  notificationId: string;
  /** `authorizationNotifyType` as sent, when it could be read. */
  notifyType: string | null;
  receivedAt: string;
  violations: EventViolation[];
}

interface Envelope<T extends EventType, D> {
  type: T;
  /** When the change was made (ISO-8601, UTC). */
  timestamp: string;
  data: D;
}

/**
 * One event as delivered: `switch (event.type)` narrows `data`.
 *
 * @example
 * if (event.type === 'authorization.canceled') await stopAutoDebit(event.data.id, event.data.reason);
 */
export type AuthnotifyEvent =
  | { [T in AuthorizationEventType]: Envelope<T, AuthorizationEventData> }[AuthorizationEventType]
  | Envelope<'notification.quarantined', QuarantineEventData>;

/** An event as the pull feed and the stream answer it: the payload with its id. */
export type StoredAuthnotifyEvent = AuthnotifyEvent & { id: string };
