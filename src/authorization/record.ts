/** Building authorization records. */
import type { AuthorizationRecord, AuthorizationStatus } from './types.js';

/**
 * A new authorization with every optional column empty.
 *
 * @example
 * newAuthorization({ id, status: 'PENDING', createdAt: now, authState });
 */
export function newAuthorization(
  init: { id: string; status: AuthorizationStatus; createdAt: number } & Partial<
    Omit<AuthorizationRecord, 'version'>
  >,
): Omit<AuthorizationRecord, 'version'> {
  return {
    authState: null,
    authCode: null,
    codeRedeemedAt: null,
    tokenHash: null,
    accessTokenEnc: null,
    refreshTokenEnc: null,
    accessTokenExpiresAt: null,
    refreshTokenExpiresAt: null,
    userId: null,
    userLoginIdMasked: null,
    authClientId: null,
    merchantUserId: null,
    reason: null,
    updatedAt: init.createdAt,
    ...init,
  };
}
