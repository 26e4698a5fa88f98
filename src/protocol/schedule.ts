/**
 * Alipay's retry schedule for notifications (seed page: "resent up to eight times, with an interval of
 * 0s, 2min, 10min, 10min, 1h, 2h, 6h, and 15h"; DESIGN.md §1.4). Delay k is the wait before delivery k,
 * counted from the end of delivery k-1.
 */
import { AuthNotifyError } from './errors.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The documented delays in milliseconds, one per delivery (8 deliveries). */
export const ALIPAY_RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  0,
  2 * MINUTE,
  10 * MINUTE,
  10 * MINUTE,
  HOUR,
  2 * HOUR,
  6 * HOUR,
  15 * HOUR,
]);

export interface RetrySchedule {
  /** Wait before each delivery; its length is the number of deliveries. */
  readonly delaysMs: readonly number[];
}

export const ALIPAY_SCHEDULE: RetrySchedule = { delaysMs: ALIPAY_RETRY_DELAYS_MS };

/** Number of deliveries in a schedule. */
export function maxDeliveries(schedule: RetrySchedule = ALIPAY_SCHEDULE): number {
  return schedule.delaysMs.length;
}

/**
 * When delivery `k` (0-based) is due, given when delivery `k-1` ended (or, for k = 0, when the
 * notification was created). Returns undefined past the last delivery.
 *
 * @example
 * nextDueAt(1, lastAttemptEndedAt); // lastAttemptEndedAt + 2 minutes
 */
export function nextDueAt(
  k: number,
  previousEndedAt: number,
  schedule: RetrySchedule = ALIPAY_SCHEDULE,
): number | undefined {
  const delay = schedule.delaysMs[k];
  return delay === undefined ? undefined : previousEndedAt + delay;
}

/**
 * Time from the first send to the last delivery, ignoring how long deliveries take: 24 h 22 min for the
 * documented schedule (the docs round this to "within 24 hours").
 */
export function scheduleHorizonMs(schedule: RetrySchedule = ALIPAY_SCHEDULE): number {
  return schedule.delaysMs.slice(1).reduce((sum, d) => sum + d, 0);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: MINUTE, min: MINUTE, h: HOUR, d: 24 * HOUR };

/** Parses `10s`, `2m`, `1h`, `500ms`, `1.5h`. Throws CONFIG_INVALID naming the value. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)\s*$/.exec(text);
  if (!m) {
    throw new AuthNotifyError('CONFIG_INVALID', `"${text}" is not a duration`, {
      hint: 'Write a number and a unit: 500ms, 10s, 2m, 1h, 1d.',
    });
  }
  return Math.round(Number(m[1]) * (UNIT_MS[m[2] as string] as number));
}

/**
 * Parses a schedule: `alipay` (documented), `once` (one delivery), or a comma list of delays such as
 * `0s,2m,10m`.
 */
export function parseSchedule(text: string): RetrySchedule {
  const value = text.trim();
  if (value === 'alipay') return ALIPAY_SCHEDULE;
  if (value === 'once') return { delaysMs: [0] };
  const delaysMs = value.split(',').map(parseDuration);
  if (delaysMs.length === 0 || delaysMs.length > 100) {
    throw new AuthNotifyError('CONFIG_INVALID', 'a schedule has between 1 and 100 deliveries');
  }
  return { delaysMs };
}
