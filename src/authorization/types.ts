/**
 * The authorization and its lifecycle as data: the record the store keeps, the events that move it, the
 * snapshot a decision reads and the decision the store writes. No logic and no I/O live here.
 */

export type AuthorizationStatus =
  | 'PENDING'
  | 'CODE_RECEIVED'
  | 'ACTIVE'
  | 'CANCELED'
  | 'REVOKED'
  | 'FAILED'
  | 'EXPIRED';
export const AUTHORIZATION_STATUSES: readonly AuthorizationStatus[] = [
  'PENDING',
  'CODE_RECEIVED',
  'ACTIVE',
  'CANCELED',
  'REVOKED',
  'FAILED',
  'EXPIRED',
];

export interface AuthorizationRecord {
  id: string;
  status: AuthorizationStatus;
  authState: string | null;
  authCode: string | null;
  codeRedeemedAt: number | null;
  tokenHash: string | null;
  /** Reserved for the client layer: AES-GCM ciphertexts, never plaintext. */
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  accessTokenExpiresAt: number | null;
  refreshTokenExpiresAt: number | null;
  userId: string | null;
  userLoginIdMasked: string | null;
  authClientId: string | null;
  merchantUserId: string | null;
  reason: string | null;
  createdAt: number;
  updatedAt: number;
  version: number;
}

export interface ConsultRecord {
  authState: string;
  authorizationId: string;
  merchantReference: string | null;
  createdAt: number;
  expiresAt: number | null;
}

export interface TombstoneRecord {
  tokenHash: string;
  reason: string | null;
  inboxId: string | null;
  createdAt: number;
}

/** What the lifecycle needs to decide: every row an event may touch, read inside one transaction. */
export interface LifecycleSnapshot {
  byAuthState: AuthorizationRecord | undefined;
  byAuthCode: AuthorizationRecord | undefined;
  byTokenHash: AuthorizationRecord | undefined;
  consult: ConsultRecord | undefined;
  tombstone: TombstoneRecord | undefined;
}

export interface LifecycleLookup {
  authState?: string | undefined;
  authCode?: string | undefined;
  tokenHash?: string | undefined;
}

export type AuthorizationPatch = Partial<Omit<AuthorizationRecord, 'id' | 'createdAt' | 'version'>>;

/** The lifecycle's decision, written by the store in the same transaction it read the snapshot in. */
export interface LifecycleDecision {
  write?:
    | { kind: 'create'; authorization: Omit<AuthorizationRecord, 'version'> }
    | { kind: 'update'; id: string; expectedVersion: number; patch: AuthorizationPatch };
  tombstone?: TombstoneRecord;
  timeline?: {
    authorizationId: string;
    kind: string;
    from: AuthorizationStatus | null;
    to: AuthorizationStatus | null;
    detail: string | null;
  };
  /** Stored on the inbox row (when the event came from one). */
  outcome: string;
}

/** Token columns written when tokens come from applyToken (ciphertexts, never plaintext). */
export type TokenColumns = Pick<
  AuthorizationPatch,
  'accessTokenEnc' | 'refreshTokenEnc' | 'accessTokenExpiresAt' | 'refreshTokenExpiresAt'
>;

export type UserFields = {
  userId?: string | undefined;
  userLoginIdMasked?: string | undefined;
  authClientId?: string | undefined;
};

export type LifecycleEvent =
  | ({
      kind: 'AUTHCODE_CREATED';
      authCode: string;
      authState: string;
      source: 'notification' | 'redirect';
    } & UserFields)
  | ({
      kind: 'TOKEN_CREATED';
      tokenHash: string;
      authState?: string | undefined;
      source: 'notification' | 'applyToken';
      tokens?: TokenColumns | undefined;
    } & UserFields)
  | { kind: 'TOKEN_CANCELED'; tokenHash: string; reason?: string | undefined }
  /** applyToken answered F for this code. */
  | { kind: 'APPLY_TOKEN_FAILED'; authCode: string; resultCode: string }
  /** The user declined on the wallet page (redirect with an error). */
  | { kind: 'DECLINED'; authState: string; reason: string }
  /** The merchant revoked the token. */
  | { kind: 'REVOKED'; tokenHash: string }
  /** A refresh replaced the token. */
  | { kind: 'TOKEN_REFRESHED'; tokenHash: string; newTokenHash: string; tokens: TokenColumns }
  /** The token lapsed and could not be refreshed. */
  | { kind: 'EXPIRED'; tokenHash: string; reason: string };

export interface LifecycleContext {
  now: number;
  /** Id for an authorization this event creates. */
  newId: string;
  inboxId: string | null;
  /** Accept an authState no consult of ours produced (merchants that keep consults elsewhere). */
  acceptUnknownAuthState: boolean;
}
