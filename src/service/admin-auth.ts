/**
 * The admin token check that the REST API (bearer header) and the dashboard (sign-in form) share: one
 * constant-time comparison, one limiter of failed attempts per source, one log line per failure that
 * names the source and never the token.
 */
import { timingSafeEqualString } from '../protocol/bytes.js';
import type { Logger } from '../protocol/logger.js';
import type { RejectionLimiter } from './rate-limit.js';

export type AdminCheck = { ok: true } | { ok: false; retryAfter: number };

export interface AdminGate {
  /**
   * Checks a presented token from `source`. `retryAfter` > 0: the source is locked out for that many
   * seconds (the token was not compared); 0: the token is wrong (counted against the source).
   */
  check(source: string, presented: string, context: { path: string; via: string }): AdminCheck;
}

/**
 * @example
 * const gate = adminGate(token, new RejectionLimiter(), logger);
 * if (!gate.check(ip, bearer, { path, via: 'api' }).ok) return unauthorized();
 */
export function adminGate(adminToken: string, limiter: RejectionLimiter, logger: Logger): AdminGate {
  return {
    check(source, presented, context) {
      const wait = limiter.retryAfter(source);
      if (wait > 0) return { ok: false, retryAfter: wait };
      if (timingSafeEqualString(presented, adminToken)) return { ok: true };
      limiter.reject(source);
      logger.warn(
        { source, path: context.path, credentials: presented === '' ? 'none' : 'wrong' },
        `${context.via} authentication failed`,
      );
      return { ok: false, retryAfter: 0 };
    },
  };
}
