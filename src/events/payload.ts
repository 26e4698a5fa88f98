/**
 * Event payloads, built in the transaction that makes the change (the store writes them beside it) and
 * stored as the exact bytes every delivery sends.
 */
import type { AuthorizationRecord, AuthorizationStatus } from '../authorization/types.js';
import { toAuthorizationView } from '../authorization/view.js';
import { maskSecretsInText } from '../protocol/mask.js';
import type {
  AuthnotifyEvent,
  AuthorizationEventData,
  AuthorizationEventType,
  EventViolation,
  QuarantineEventData,
} from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** `data` of an authorization event: the authorization after the change. */
export function authorizationEventData(
  record: AuthorizationRecord,
  previousStatus: AuthorizationStatus | null,
  notificationId: string | null,
): AuthorizationEventData {
  const view = toAuthorizationView(record);
  return {
    id: view.id,
    status: view.status,
    previousStatus,
    authState: view.authState,
    userId: view.userId,
    userLoginId: view.userLoginId,
    authClientId: view.authClientId,
    merchantUserId: view.merchantUserId,
    reason: view.reason,
    notificationId,
    createdAt: iso(view.createdAt),
    updatedAt: iso(view.updatedAt),
    version: view.version,
  };
}

/**
 * The payload of an authorization event.
 *
 * @example
 * const body = authorizationEventPayload('authorization.canceled', record, 'ACTIVE', inboxId, now);
 */
export function authorizationEventPayload(
  type: AuthorizationEventType,
  record: AuthorizationRecord,
  previousStatus: AuthorizationStatus | null,
  notificationId: string | null,
  at: number,
): string {
  const event: AuthnotifyEvent = {
    type,
    timestamp: iso(at),
    data: authorizationEventData(record, previousStatus, notificationId),
  };
  return JSON.stringify(event);
}

/**
 * The payload of `notification.quarantined`. Violation messages can quote a little of the body (a JSON
 * parse error, a mistyped value): tokens and logins in them are masked.
 */
export function quarantineEventPayload(
  row: { id: string; type: string | null; receivedAt: number; violations: readonly EventViolation[] | null },
  at: number,
): string {
  const data: QuarantineEventData = {
    notificationId: row.id,
    notifyType: row.type,
    receivedAt: iso(row.receivedAt),
    violations: (row.violations ?? []).map((v) => ({
      path: v.path,
      rule: v.rule,
      message: maskSecretsInText(v.message),
    })),
  };
  const event: AuthnotifyEvent = { type: 'notification.quarantined', timestamp: iso(at), data };
  return JSON.stringify(event);
}
