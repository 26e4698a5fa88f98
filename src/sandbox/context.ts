/** What the sandbox's API, wallet pages and control API share. */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../protocol/clock.js';
import type { KeyRing } from '../protocol/key-ring.js';
import type { Logger } from '../protocol/logger.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import type { Sender } from '../sender/sender.js';
import type { Faults } from './faults.js';
import type { SandboxState, SandboxToken } from './state.js';

export interface SandboxConfig {
  /** The merchant's client id: requests must carry it, notifications are sent with it. */
  clientId: string;
  /** Default notify URL when a consult names none. */
  notifyUrl: string | undefined;
  accessTokenTtlMs: number;
  refreshTokenTtlMs: number;
  /** Also send TOKEN_CANCELED when the merchant revokes. */
  revokeNotifies: boolean;
}

export interface SandboxContext {
  config: SandboxConfig;
  state: SandboxState;
  faults: Faults;
  clock: Clock;
  sender: Sender;
  logger: Logger;
  merchantKeys: KeyRing;
  privateKey: CryptoKey;
  baseUrl: () => string;
  /** Carried by every HTML form of the sandbox, so a page elsewhere cannot submit them. */
  formToken: string;
}

export function randomToken(prefix: string): string {
  return `${prefix}${randomBytes(18).toString('base64url')}`;
}

/** A wallet user id for a login, stable across runs: `2088` and 12 digits. */
export function userIdFor(login: string): string {
  let h = 0n;
  for (const ch of login) h = (h * 131n + BigInt(ch.codePointAt(0) ?? 0)) % 10n ** 12n;
  return `2088${h.toString().padStart(12, '0')}`;
}

export function issueToken(
  ctx: SandboxContext,
  consultId: string,
  userId: string,
  userLoginId: string,
  scopes: string[],
): SandboxToken {
  const now = ctx.clock.now();
  const token: SandboxToken = {
    accessToken: randomToken('281001'),
    refreshToken: randomToken('rt_'),
    consultId,
    userId,
    userLoginId,
    scopes,
    status: 'ACTIVE',
    accessExpiresAt: now + ctx.config.accessTokenTtlMs,
    refreshExpiresAt: now + ctx.config.refreshTokenTtlMs,
    createdAt: now,
    endedAt: null,
    reason: null,
  };
  ctx.state.addToken(token);
  return token;
}

const SUCCESS = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } as const;

/**
 * Queues a notification to the merchant, applying the delivery faults (duplicates, concurrent copies,
 * reordering). Returns the delivery ids, or none when no notify URL is known.
 */
export async function notifyMerchant(
  ctx: SandboxContext,
  to: string | null | undefined,
  fields: Record<string, unknown> | string,
): Promise<string[]> {
  const target = to ?? ctx.config.notifyUrl;
  if (!target) {
    ctx.logger.warn({}, 'no notify URL configured and none given in consult: notification not sent');
    return [];
  }
  const body = typeof fields === 'string' ? fields : JSON.stringify({ ...fields, result: SUCCESS });
  const ids: string[] = [];
  for (const offset of ctx.faults.copies()) {
    ids.push(
      await ctx.sender.enqueue({
        notification: body,
        to: target,
        ...(offset > 0 ? { delayMs: offset } : {}),
      }),
    );
  }
  return ids;
}
