import { describe, expect, it } from 'vitest';
import { canTransition, decideLifecycle } from '../../src/authorization/lifecycle.js';
import { newAuthorization } from '../../src/authorization/record.js';
import type {
  AuthorizationRecord,
  AuthorizationStatus,
  LifecycleContext,
  LifecycleEvent,
  LifecycleSnapshot,
} from '../../src/authorization/types.js';

const ctx: LifecycleContext = {
  now: 5000,
  newId: 'new-1',
  inboxId: 'in-1',
  acceptUnknownAuthState: false,
};

function auth(status: AuthorizationStatus, extra: Partial<AuthorizationRecord> = {}): AuthorizationRecord {
  return {
    ...newAuthorization({ id: 'au-1', status, authState: 'st-1', createdAt: 1, ...extra }),
    version: 3,
  };
}

const none: LifecycleSnapshot = {
  byAuthState: undefined,
  byAuthCode: undefined,
  byTokenHash: undefined,
  consult: undefined,
  tombstone: undefined,
};
const code: LifecycleEvent = {
  kind: 'AUTHCODE_CREATED',
  authCode: 'c1',
  authState: 'st-1',
  source: 'notification',
};
const created: LifecycleEvent = {
  kind: 'TOKEN_CREATED',
  tokenHash: 'h1',
  authState: 'st-1',
  source: 'notification',
};
const canceled: LifecycleEvent = { kind: 'TOKEN_CANCELED', tokenHash: 'h1', reason: 'user canceled' };

type Row = [string, LifecycleEvent, LifecycleSnapshot, string, AuthorizationStatus | null];
const rows: Row[] = [
  [
    'AUTHCODE_CREATED moves PENDING to CODE_RECEIVED',
    code,
    { ...none, byAuthState: auth('PENDING') },
    'APPLIED',
    'CODE_RECEIVED',
  ],
  [
    'AUTHCODE_CREATED for a recorded code changes nothing',
    code,
    { ...none, byAuthCode: auth('CODE_RECEIVED', { authCode: 'c1' }) },
    'NO_CHANGE',
    null,
  ],
  [
    'AUTHCODE_CREATED with another code after one was recorded is a conflict',
    code,
    { ...none, byAuthState: auth('CODE_RECEIVED', { authCode: 'c0' }) },
    'CODE_CONFLICT',
    null,
  ],
  [
    'AUTHCODE_CREATED records the code of an ACTIVE authorization that has none (TOKEN_CREATED came first)',
    code,
    { ...none, byAuthState: auth('ACTIVE') },
    'APPLIED',
    'ACTIVE',
  ],
  [
    'AUTHCODE_CREATED after the token is ACTIVE with its code changes nothing',
    code,
    { ...none, byAuthState: auth('ACTIVE', { authCode: 'c1' }) },
    'NO_CHANGE',
    null,
  ],
  [
    'AUTHCODE_CREATED for a CANCELED authorization is ignored',
    code,
    { ...none, byAuthState: auth('CANCELED') },
    'IGNORED_TERMINAL',
    null,
  ],
  ['AUTHCODE_CREATED with an unknown authState is flagged', code, none, 'UNKNOWN_AUTH_STATE', null],
  [
    'TOKEN_CREATED moves CODE_RECEIVED to ACTIVE',
    created,
    { ...none, byAuthState: auth('CODE_RECEIVED') },
    'APPLIED',
    'ACTIVE',
  ],
  [
    'TOKEN_CREATED moves PENDING straight to ACTIVE',
    created,
    { ...none, byAuthState: auth('PENDING') },
    'APPLIED',
    'ACTIVE',
  ],
  [
    'a known token changes nothing',
    created,
    { ...none, byTokenHash: auth('ACTIVE', { tokenHash: 'h1' }) },
    'NO_CHANGE',
    null,
  ],
  [
    'a late TOKEN_CREATED never revives a CANCELED token',
    created,
    { ...none, byTokenHash: auth('CANCELED', { tokenHash: 'h1' }) },
    'IGNORED_TERMINAL',
    null,
  ],
  [
    'a late TOKEN_CREATED never revives a REVOKED authorization',
    created,
    { ...none, byAuthState: auth('REVOKED') },
    'IGNORED_TERMINAL',
    null,
  ],
  [
    'TOKEN_CREATED after a tombstone is born canceled',
    created,
    {
      ...none,
      byAuthState: auth('CODE_RECEIVED'),
      tombstone: { tokenHash: 'h1', reason: 'gone', inboxId: 'x', createdAt: 1 },
    },
    'BORN_CANCELED',
    'CANCELED',
  ],
  [
    'TOKEN_CREATED for an EXPIRED authorization changes nothing',
    created,
    { ...none, byAuthState: auth('EXPIRED') },
    'NO_CHANGE',
    null,
  ],
  ['TOKEN_CREATED with an unknown authState is flagged', created, none, 'UNKNOWN_AUTH_STATE', null],
  [
    'TOKEN_CANCELED moves ACTIVE to CANCELED',
    canceled,
    { ...none, byTokenHash: auth('ACTIVE', { tokenHash: 'h1' }) },
    'APPLIED',
    'CANCELED',
  ],
  [
    'TOKEN_CANCELED moves EXPIRED to CANCELED',
    canceled,
    { ...none, byTokenHash: auth('EXPIRED', { tokenHash: 'h1' }) },
    'APPLIED',
    'CANCELED',
  ],
  [
    'TOKEN_CANCELED again changes nothing',
    canceled,
    { ...none, byTokenHash: auth('CANCELED', { tokenHash: 'h1' }) },
    'NO_CHANGE',
    null,
  ],
  [
    'TOKEN_CANCELED after REVOKED keeps REVOKED',
    canceled,
    { ...none, byTokenHash: auth('REVOKED', { tokenHash: 'h1' }) },
    'IGNORED_TERMINAL',
    null,
  ],
  ['TOKEN_CANCELED for an unknown token leaves a tombstone', canceled, none, 'TOMBSTONED', null],
  [
    'TOKEN_CANCELED for an already tombstoned token changes nothing',
    canceled,
    { ...none, tombstone: { tokenHash: 'h1', reason: null, inboxId: null, createdAt: 1 } },
    'NO_CHANGE',
    null,
  ],
];

describe('decideLifecycle', () => {
  it.each(rows)('%s', (_name, event, snap, outcome, to) => {
    const decision = decideLifecycle(event, snap, ctx);
    expect(decision.outcome).toBe(outcome);
    const write = decision.write;
    const newStatus =
      write?.kind === 'update'
        ? write.patch.status
        : write?.kind === 'create'
          ? write.authorization.status
          : null;
    expect(newStatus ?? null).toBe(to);
    if (write?.kind === 'update') {
      expect(write.expectedVersion).toBe(3);
      const from = (snap.byTokenHash ?? snap.byAuthState ?? snap.byAuthCode)?.status as AuthorizationStatus;
      expect(
        canTransition(from, write.patch.status as AuthorizationStatus) ||
          (from === 'ACTIVE' && write.patch.status === 'ACTIVE'),
      ).toBe(true);
    }
  });

  it('records the cancel reason and keeps it in the timeline', () => {
    const d = decideLifecycle(canceled, { ...none, byTokenHash: auth('ACTIVE', { tokenHash: 'h1' }) }, ctx);
    expect(d.write).toMatchObject({
      patch: { reason: 'user canceled', status: 'CANCELED', updatedAt: 5000 },
    });
    expect(d.timeline).toMatchObject({
      kind: 'token.canceled',
      from: 'ACTIVE',
      to: 'CANCELED',
      detail: 'user canceled',
    });
  });

  it('creates the authorization for an unknown authState only when configured to', () => {
    const d = decideLifecycle(code, none, { ...ctx, acceptUnknownAuthState: true });
    expect(d.write).toMatchObject({
      kind: 'create',
      authorization: { id: 'new-1', status: 'CODE_RECEIVED', authCode: 'c1', authState: 'st-1' },
    });
  });

  it.each([
    [
      'applyToken F fails a CODE_RECEIVED authorization',
      { kind: 'APPLY_TOKEN_FAILED', authCode: 'c1', resultCode: 'INVALID_CODE' },
      { ...none, byAuthCode: auth('CODE_RECEIVED', { authCode: 'c1' }) },
      'FAILED',
      'INVALID_CODE',
    ],
    [
      'Decline fails a PENDING authorization',
      { kind: 'DECLINED', authState: 'st-1', reason: 'USER_DECLINED' },
      { ...none, byAuthState: auth('PENDING') },
      'FAILED',
      'USER_DECLINED',
    ],
    [
      'revoke ends an ACTIVE token',
      { kind: 'REVOKED', tokenHash: 'h1' },
      { ...none, byTokenHash: auth('ACTIVE', { tokenHash: 'h1' }) },
      'REVOKED',
      'revoked by the merchant',
    ],
    [
      'expiry ends an ACTIVE token',
      { kind: 'EXPIRED', tokenHash: 'h1', reason: 'refresh failed' },
      { ...none, byTokenHash: auth('ACTIVE', { tokenHash: 'h1' }) },
      'EXPIRED',
      'refresh failed',
    ],
  ] as [string, LifecycleEvent, LifecycleSnapshot, AuthorizationStatus, string][])(
    '%s',
    (_name, event, snap, to, reason) => {
      const d = decideLifecycle(event, snap, ctx);
      expect(d.write).toMatchObject({ kind: 'update', patch: { status: to, reason } });
    },
  );

  it('refresh replaces the token hash and keeps the authorization ACTIVE', () => {
    const d = decideLifecycle(
      {
        kind: 'TOKEN_REFRESHED',
        tokenHash: 'h1',
        newTokenHash: 'h2',
        tokens: { accessTokenEnc: 'enc', accessTokenExpiresAt: 99 },
      },
      { ...none, byTokenHash: auth('ACTIVE', { tokenHash: 'h1' }) },
      ctx,
    );
    expect(d.write).toMatchObject({
      patch: { status: 'ACTIVE', tokenHash: 'h2', accessTokenEnc: 'enc', accessTokenExpiresAt: 99 },
    });
    expect(
      decideLifecycle({ kind: 'REVOKED', tokenHash: 'h1' }, { ...none, byTokenHash: auth('CANCELED') }, ctx)
        .outcome,
    ).toBe('IGNORED_TERMINAL');
  });

  it.each([
    ['PENDING', 'CODE_RECEIVED', true],
    ['CODE_RECEIVED', 'ACTIVE', true],
    ['ACTIVE', 'CANCELED', true],
    ['ACTIVE', 'EXPIRED', true],
    ['EXPIRED', 'CANCELED', true],
    ['CODE_RECEIVED', 'FAILED', true],
    ['ACTIVE', 'CODE_RECEIVED', false],
    ['EXPIRED', 'ACTIVE', false],
    ['CANCELED', 'ACTIVE', false],
    ['REVOKED', 'CANCELED', false],
    ['FAILED', 'ACTIVE', false],
    ['ACTIVE', 'FAILED', false],
  ] as [AuthorizationStatus, AuthorizationStatus, boolean][])('%s → %s allowed: %s', (from, to, allowed) => {
    expect(canTransition(from, to)).toBe(allowed);
  });
});
