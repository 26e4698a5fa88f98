/**
 * The authorization lifecycle (DESIGN.md §2.2) as a pure function: an event and a snapshot of the rows it
 * may touch in, a decision out. No I/O, no clock — the store runs it inside its transaction.
 *
 *   PENDING → CODE_RECEIVED → ACTIVE → EXPIRED
 *   any non-terminal → CANCELED (wallet) | REVOKED (merchant) | FAILED (applyToken F)
 *
 * Transitions only move forward; CANCELED, REVOKED and FAILED are terminal.
 */

import { newAuthorization } from './record.js';
import type {
  AuthorizationPatch,
  AuthorizationRecord,
  AuthorizationStatus,
  LifecycleContext,
  LifecycleDecision,
  LifecycleEvent,
  LifecycleSnapshot,
  UserFields,
} from './types.js';

export const TERMINAL_STATUSES: ReadonlySet<AuthorizationStatus> = new Set(['CANCELED', 'REVOKED', 'FAILED']);

const RANK: Record<AuthorizationStatus, number> = {
  PENDING: 0,
  CODE_RECEIVED: 1,
  ACTIVE: 2,
  EXPIRED: 3,
  CANCELED: 4,
  REVOKED: 4,
  FAILED: 4,
};

/** True when `from → to` is a forward move the lifecycle allows. */
export function canTransition(from: AuthorizationStatus, to: AuthorizationStatus): boolean {
  if (TERMINAL_STATUSES.has(from)) return false;
  if (to === 'FAILED') return from === 'PENDING' || from === 'CODE_RECEIVED';
  if (to === 'EXPIRED') return from === 'ACTIVE';
  return RANK[to] > RANK[from];
}

/** Outcomes recorded on the inbox row. */
export const Outcome = {
  APPLIED: 'APPLIED',
  NO_CHANGE: 'NO_CHANGE',
  IGNORED_TERMINAL: 'IGNORED_TERMINAL',
  UNKNOWN_AUTH_STATE: 'UNKNOWN_AUTH_STATE',
  CODE_CONFLICT: 'CODE_CONFLICT',
  TOMBSTONED: 'TOMBSTONED',
  BORN_CANCELED: 'BORN_CANCELED',
  UNKNOWN_AUTHORIZATION: 'UNKNOWN_AUTHORIZATION',
} as const;

type Timeline = NonNullable<LifecycleDecision['timeline']>;

function moveTo(
  authorization: AuthorizationRecord,
  to: AuthorizationStatus,
  kind: string,
  patch: AuthorizationPatch,
  ctx: LifecycleContext,
  detail: string | null = null,
): LifecycleDecision {
  return {
    write: {
      kind: 'update',
      id: authorization.id,
      expectedVersion: authorization.version,
      patch: { ...patch, status: to, updatedAt: ctx.now },
    },
    timeline: { authorizationId: authorization.id, kind, from: authorization.status, to, detail },
    outcome: Outcome.APPLIED,
  };
}

function note(
  authorization: AuthorizationRecord,
  kind: string,
  outcome: string,
  detail: string | null,
): LifecycleDecision {
  const timeline: Timeline = {
    authorizationId: authorization.id,
    kind,
    from: authorization.status,
    to: authorization.status,
    detail,
  };
  return { timeline, outcome };
}

function fresh(
  status: AuthorizationStatus,
  ctx: LifecycleContext,
  fields: Partial<AuthorizationRecord>,
): Omit<AuthorizationRecord, 'version'> {
  return newAuthorization({ ...fields, id: ctx.newId, status, createdAt: ctx.now });
}

function userFields(event: UserFields): AuthorizationPatch {
  const patch: AuthorizationPatch = {};
  if (event.userId) patch.userId = event.userId;
  if (event.userLoginIdMasked) patch.userLoginIdMasked = event.userLoginIdMasked;
  if (event.authClientId) patch.authClientId = event.authClientId;
  return patch;
}

/**
 * Decides what an event does to the authorization it concerns.
 *
 * @example
 * const decision = decideLifecycle({ kind: 'TOKEN_CANCELED', tokenHash }, snapshot, ctx);
 */
export function decideLifecycle(
  event: LifecycleEvent,
  snap: LifecycleSnapshot,
  ctx: LifecycleContext,
): LifecycleDecision {
  switch (event.kind) {
    case 'AUTHCODE_CREATED':
      return decideAuthCode(event, snap, ctx);
    case 'TOKEN_CREATED':
      return decideTokenCreated(event, snap, ctx);
    case 'TOKEN_CANCELED':
      return decideTokenCanceled(event, snap, ctx);
    case 'APPLY_TOKEN_FAILED': {
      const a = snap.byAuthCode;
      if (!a) return { outcome: Outcome.UNKNOWN_AUTHORIZATION };
      if (a.status !== 'CODE_RECEIVED' && a.status !== 'PENDING')
        return note(a, 'applyToken.failed', Outcome.NO_CHANGE, event.resultCode);
      return moveTo(a, 'FAILED', 'applyToken.failed', { reason: event.resultCode }, ctx, event.resultCode);
    }
    case 'DECLINED': {
      const a = snap.byAuthState;
      if (!a) return { outcome: Outcome.UNKNOWN_AUTH_STATE };
      if (a.status !== 'PENDING') return note(a, 'wallet.declined', Outcome.NO_CHANGE, event.reason);
      return moveTo(a, 'FAILED', 'wallet.declined', { reason: event.reason }, ctx, event.reason);
    }
    case 'REVOKED': {
      const a = snap.byTokenHash;
      if (!a) return { outcome: Outcome.UNKNOWN_AUTHORIZATION };
      if (a.status === 'REVOKED') return note(a, 'token.revoked', Outcome.NO_CHANGE, 'already revoked');
      if (TERMINAL_STATUSES.has(a.status))
        return note(a, 'token.revoked', Outcome.IGNORED_TERMINAL, `already ${a.status}`);
      return moveTo(a, 'REVOKED', 'token.revoked', { reason: 'revoked by the merchant' }, ctx, null);
    }
    case 'TOKEN_REFRESHED': {
      const a = snap.byTokenHash;
      if (!a) return { outcome: Outcome.UNKNOWN_AUTHORIZATION };
      if (a.status !== 'ACTIVE')
        return note(a, 'token.refreshed', Outcome.IGNORED_TERMINAL, `authorization is ${a.status}`);
      return moveTo(
        a,
        'ACTIVE',
        'token.refreshed',
        { tokenHash: event.newTokenHash, ...event.tokens },
        ctx,
        null,
      );
    }
    case 'EXPIRED': {
      const a = snap.byTokenHash;
      if (!a) return { outcome: Outcome.UNKNOWN_AUTHORIZATION };
      if (a.status !== 'ACTIVE')
        return note(a, 'token.expired', Outcome.NO_CHANGE, `authorization is ${a.status}`);
      return moveTo(a, 'EXPIRED', 'token.expired', { reason: event.reason }, ctx, event.reason);
    }
  }
}

type AuthCodeEvent = Extract<LifecycleEvent, { kind: 'AUTHCODE_CREATED' }>;
type TokenCreatedEvent = Extract<LifecycleEvent, { kind: 'TOKEN_CREATED' }>;
type TokenCanceledEvent = Extract<LifecycleEvent, { kind: 'TOKEN_CANCELED' }>;

function decideAuthCode(
  event: AuthCodeEvent,
  snap: LifecycleSnapshot,
  ctx: LifecycleContext,
): LifecycleDecision {
  const kind = `authcode.${event.source}`;
  const known = snap.byAuthCode;
  if (known) {
    // The redirect and the notification race with the same code: the later one only claims redemption
    // if nobody has yet (the store's claim is atomic, so applyToken runs once).
    return note(known, kind, Outcome.NO_CHANGE, 'authCode already recorded');
  }
  const authorization = snap.byAuthState;
  if (!authorization) {
    if (!ctx.acceptUnknownAuthState) return { outcome: Outcome.UNKNOWN_AUTH_STATE };
    const created = fresh('CODE_RECEIVED', ctx, {
      authState: event.authState,
      authCode: event.authCode,
      ...userFields(event),
    });
    const decision: LifecycleDecision = {
      write: { kind: 'create', authorization: created },
      timeline: {
        authorizationId: created.id,
        kind,
        from: null,
        to: 'CODE_RECEIVED',
        detail: 'authState not from a consult of ours (accepted by configuration)',
      },
      outcome: Outcome.APPLIED,
    };
    return decision;
  }
  if (TERMINAL_STATUSES.has(authorization.status)) {
    return note(authorization, kind, Outcome.IGNORED_TERMINAL, 'authorization already ended');
  }
  if (authorization.status === 'ACTIVE' && authorization.authCode === null) {
    // TOKEN_CREATED came first (no Auto Debit); keep the code so the token exchange can claim it.
    return moveTo(
      authorization,
      'ACTIVE',
      kind,
      { authCode: event.authCode, ...userFields(event) },
      ctx,
      'authCode recorded for the token exchange',
    );
  }
  if (authorization.status !== 'PENDING') {
    const conflict = authorization.authCode !== null && authorization.authCode !== event.authCode;
    return note(
      authorization,
      kind,
      conflict ? Outcome.CODE_CONFLICT : Outcome.NO_CHANGE,
      `authorization is ${authorization.status}`,
    );
  }
  const decision = moveTo(
    authorization,
    'CODE_RECEIVED',
    kind,
    { authCode: event.authCode, ...userFields(event) },
    ctx,
  );
  return decision;
}

function decideTokenCreated(
  event: TokenCreatedEvent,
  snap: LifecycleSnapshot,
  ctx: LifecycleContext,
): LifecycleDecision {
  const kind = `token.created.${event.source}`;
  const byToken = snap.byTokenHash;
  if (byToken) {
    if (TERMINAL_STATUSES.has(byToken.status)) {
      return note(byToken, kind, Outcome.IGNORED_TERMINAL, 'a late TOKEN_CREATED never revives a token');
    }
    if (event.tokens && byToken.accessTokenEnc === null) {
      return moveTo(
        byToken,
        byToken.status,
        kind,
        { ...event.tokens, ...userFields(event) },
        ctx,
        'tokens stored',
      );
    }
    return note(byToken, kind, Outcome.NO_CHANGE, 'token already known');
  }
  const authorization = snap.byAuthState;
  const tombstone = snap.tombstone;
  const canceledBefore = 'token was canceled before it was created here';
  if (!authorization) {
    if (!ctx.acceptUnknownAuthState && event.source === 'notification')
      return { outcome: Outcome.UNKNOWN_AUTH_STATE };
    const status: AuthorizationStatus = tombstone ? 'CANCELED' : 'ACTIVE';
    const created = fresh(status, ctx, {
      authState: event.authState ?? null,
      tokenHash: event.tokenHash,
      reason: tombstone?.reason ?? null,
      ...userFields(event),
    });
    return {
      write: { kind: 'create', authorization: created },
      timeline: {
        authorizationId: created.id,
        kind,
        from: null,
        to: status,
        detail: tombstone ? canceledBefore : null,
      },
      outcome: tombstone ? Outcome.BORN_CANCELED : Outcome.APPLIED,
    };
  }
  if (TERMINAL_STATUSES.has(authorization.status)) {
    return note(authorization, kind, Outcome.IGNORED_TERMINAL, 'a late TOKEN_CREATED never revives a token');
  }
  const patch = { tokenHash: event.tokenHash, ...userFields(event), ...(event.tokens ?? {}) };
  if (tombstone) {
    return {
      ...moveTo(authorization, 'CANCELED', kind, { ...patch, reason: tombstone.reason }, ctx, canceledBefore),
      outcome: Outcome.BORN_CANCELED,
    };
  }
  if (authorization.status === 'EXPIRED') {
    return note(
      authorization,
      kind,
      Outcome.NO_CHANGE,
      'authorization expired; a new consult starts a new one',
    );
  }
  return moveTo(
    authorization,
    'ACTIVE',
    kind,
    patch,
    ctx,
    authorization.status === 'ACTIVE' ? 'token replaced' : null,
  );
}

function decideTokenCanceled(
  event: TokenCanceledEvent,
  snap: LifecycleSnapshot,
  ctx: LifecycleContext,
): LifecycleDecision {
  const authorization = snap.byTokenHash;
  if (!authorization) {
    if (snap.tombstone) return { outcome: Outcome.NO_CHANGE };
    return {
      tombstone: {
        tokenHash: event.tokenHash,
        reason: event.reason ?? null,
        inboxId: ctx.inboxId,
        createdAt: ctx.now,
      },
      outcome: Outcome.TOMBSTONED,
    };
  }
  if (authorization.status === 'CANCELED')
    return note(authorization, 'token.canceled', Outcome.NO_CHANGE, 'already canceled');
  if (TERMINAL_STATUSES.has(authorization.status)) {
    return note(authorization, 'token.canceled', Outcome.IGNORED_TERMINAL, `already ${authorization.status}`);
  }
  return moveTo(
    authorization,
    'CANCELED',
    'token.canceled',
    { reason: event.reason ?? null },
    ctx,
    event.reason ?? null,
  );
}
