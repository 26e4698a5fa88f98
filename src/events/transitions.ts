/**
 * Which lifecycle changes are events. A change is an event when the authorization's status moves (or a
 * refresh replaces its token); notes that change nothing, and writes that keep the status (an authCode
 * recorded while ACTIVE, tokens stored after the notification) are not.
 */
import type { AuthorizationEventType, AuthorizationStatusName } from './types.js';

const BY_STATUS: Partial<Record<AuthorizationStatusName, AuthorizationEventType>> = {
  CODE_RECEIVED: 'authorization.code_received',
  ACTIVE: 'authorization.activated',
  CANCELED: 'authorization.canceled',
  REVOKED: 'authorization.revoked',
  EXPIRED: 'authorization.expired',
  FAILED: 'authorization.failed',
};

/**
 * The event a written lifecycle change emits, if any.
 *
 * @example
 * eventTypeOfChange({ kind: 'token.canceled', from: 'ACTIVE', to: 'CANCELED' }); // 'authorization.canceled'
 */
export function eventTypeOfChange(change: {
  kind: string;
  from: AuthorizationStatusName | null;
  to: AuthorizationStatusName | null;
}): AuthorizationEventType | undefined {
  if (change.to === null) return undefined;
  if (change.kind === 'token.refreshed' && change.to === 'ACTIVE') return 'authorization.refreshed';
  if (change.from === change.to) return undefined;
  return BY_STATUS[change.to];
}
