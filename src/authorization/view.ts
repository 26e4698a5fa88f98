/** The authorization as handlers, hooks and the admin API see it: no token, no hash, login id masked. */
import type { AuthorizationRecord, AuthorizationStatus } from './types.js';

/** An authorization as handlers and the API see it: no token, no hash, login id already masked. */
export interface AuthorizationView {
  id: string;
  status: AuthorizationStatus;
  authState: string | null;
  userId: string | null;
  userLoginId: string | null;
  authClientId: string | null;
  merchantUserId: string | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  /** Grows with every change of this authorization: it orders the authorization's states and events. */
  version: number;
}

/**
 * @example
 * const view = toAuthorizationView(await store.getAuthorization(id));
 */
export function toAuthorizationView(a: AuthorizationRecord): AuthorizationView {
  return {
    id: a.id,
    status: a.status,
    authState: a.authState,
    userId: a.userId,
    userLoginId: a.userLoginIdMasked,
    authClientId: a.authClientId,
    merchantUserId: a.merchantUserId,
    reason: a.reason,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
    version: a.version,
  };
}
