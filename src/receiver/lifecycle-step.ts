/**
 * One notification's lifecycle step, and the authCode redemption that follows it: what the processor
 * hands the store (the lookup and the event, as data) and what runs after the store has applied it.
 */

import { lookupOf, type NotificationEvent } from '../authorization/facts.js';
import type { Clock } from '../protocol/clock.js';
import { subjectOfEventKey } from '../protocol/event-key.js';
import { maskLoginId } from '../protocol/mask.js';
import type { Notification } from '../protocol/notification.js';
import type { ClaimedInboxRow, LifecycleApplication, Store } from '../store/types.js';
import type { ApplyTokenPort } from './ports.js';
import type { Secrets } from './secrets.js';

/** What the store applies for one notification: the rows it reads, the event and its context, as data. */
export type LifecycleStep = LifecycleApplication;

/**
 * Redeems an authCode exactly once across every path that sees it (the redirect, AUTHCODE_CREATED, a
 * retry): the store's claim picks one caller. If the exchange's outcome is unknown the claim is released
 * and the error rethrown, so a later attempt can claim again.
 */
export async function redeemCode(
  deps: { store: Store; clock: Clock; applyToken: ApplyTokenPort | undefined },
  authCode: string,
  authorizationId: string,
): Promise<'redeemed' | 'taken' | 'no-port'> {
  if (!deps.applyToken) return 'no-port';
  if (!(await deps.store.claimCodeRedemption(authCode, deps.clock.now()))) return 'taken';
  try {
    await deps.applyToken.redeem({ authCode, authorizationId });
    return 'redeemed';
  } catch (error) {
    await deps.store.releaseCodeRedemption(authCode).catch(() => undefined);
    throw error;
  }
}

/**
 * The access token's keyed hash, hashed once per notification: the receiver stored it as the subject of
 * the row's event key (`TYPE:<hash>`), so it is read back from there.
 */
async function tokenHashOf(
  row: ClaimedInboxRow,
  n: Extract<Notification, { accessToken: string }>,
  secrets: Secrets,
): Promise<string> {
  if (row.eventKey.startsWith(`${n.authorizationNotifyType}:`)) return subjectOfEventKey(row.eventKey);
  return secrets.tokenHash(n.accessToken); // a row keyed some other way (written by hand): hash it here
}

/**
 * The lifecycle event a notification means (tokens only as their keyed hash). Its facts are stored with
 * the row at receipt; rows without them have their event made again from the body.
 */
export function notificationEventOf(n: Notification, tokenHash: string | undefined): NotificationEvent {
  const user = {
    userId: n.userId,
    userLoginIdMasked: maskLoginId(n.userLoginId),
    authClientId: n.authClientId,
  };
  switch (n.authorizationNotifyType) {
    case 'AUTHCODE_CREATED':
      return {
        kind: 'AUTHCODE_CREATED',
        authCode: n.authCode,
        authState: n.authState,
        source: 'notification',
        ...user,
      };
    case 'TOKEN_CREATED':
      return {
        kind: 'TOKEN_CREATED',
        tokenHash: tokenHash as string,
        authState: n.authState,
        source: 'notification',
        ...user,
      };
    case 'TOKEN_CANCELED':
      return { kind: 'TOKEN_CANCELED', tokenHash: tokenHash as string, reason: n.reason };
  }
}

/**
 * The step for a stored notification: the lifecycle event it means (tokens only as keyed hashes) and the
 * rows it touches.
 */
export async function lifecycleStep(
  deps: { clock: Clock; newId: () => string; secrets: Secrets; acceptUnknownAuthState: boolean },
  owner: string,
  row: ClaimedInboxRow,
  n: Notification,
): Promise<LifecycleStep> {
  const { clock, newId, secrets } = deps;
  const tokenHash =
    n.authorizationNotifyType === 'AUTHCODE_CREATED' ? undefined : await tokenHashOf(row, n, secrets);
  const event = notificationEventOf(n, tokenHash);
  const lookup = lookupOf(event);
  const now = clock.now();
  const ctx = {
    now,
    newId: newId(),
    inboxId: row.id,
    acceptUnknownAuthState: deps.acceptUnknownAuthState,
  };
  return { input: { lookup, inbox: { id: row.id, owner }, timelineId: newId(), now }, event, ctx };
}
