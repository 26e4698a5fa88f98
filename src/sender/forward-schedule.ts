/**
 * When a forwarded event is tried again. It starts like Svix's: immediately, 5 s, 5 min, 30 min, 2 h,
 * 5 h, 10 h, 10 h — eight attempts over about 27 h 35 min — each wait moved by up to ±10 % at random so
 * that a destination coming back is not hit by every retry at once.
 */
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Wait before attempt k (0-based), counted from the end of attempt k-1. */
export const FORWARD_RETRY_DELAYS_MS: readonly number[] = Object.freeze([
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
]);

/** A destination whose every delivery has failed this long is disabled: 5 days. */
export const DEFAULT_DISABLE_AFTER_MS = 5 * 24 * HOUR;

/**
 * The wait before attempt `number + 1` after attempt `number` (1-based) failed, or undefined when that
 * was the last attempt.
 *
 * @example
 * retryDelay(1, FORWARD_RETRY_DELAYS_MS, 0.1, Math.random); // about 5 s
 */
export function retryDelay(
  number: number,
  delays: readonly number[],
  jitter: number,
  random: () => number,
): number | undefined {
  const base = delays[number];
  if (base === undefined) return undefined;
  return Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
}
