/**
 * `Request-Time` is an opaque string inside the signature; Alipay's docs show epoch milliseconds and
 * ISO-8601. We parse both (and epoch seconds) for the freshness window (DESIGN.md §1.2).
 */
import { AuthNotifyError } from './errors.js';

export interface TimeWindow {
  /** How far in the past a Request-Time may be. Default 25 h: the last retry comes ~24 h 22 min after the first send. */
  pastMs: number;
  /** How far in the future (clock skew). Default 5 min. */
  futureMs: number;
}

export const DEFAULT_TIME_WINDOW: TimeWindow = { pastMs: 25 * 3_600_000, futureMs: 5 * 60_000 };

const ISO = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * Parses a `Request-Time` into epoch milliseconds. Accepts epoch ms (13 digits), epoch s (10 digits) and
 * ISO-8601 with `Z` or an offset. Throws `REQUEST_TIME_INVALID`.
 *
 * @example
 * parseRequestTime('2019-05-28T12:12:12+08:00'); // 1559016732000
 */
export function parseRequestTime(value: string): number {
  const text = value.trim();
  if (/^\d{1,16}$/.test(text)) {
    const n = Number(text);
    // Below 1e11 a value only makes sense as seconds (1e11 ms is 1973; 1e11 s is year 5138).
    return n < 1e11 ? n * 1000 : n;
  }
  const m = ISO.exec(text);
  if (m) {
    const [month, day, hour, minute, second] = [m[2], m[3], m[4], m[5], m[6]].map(Number) as [
      number,
      number,
      number,
      number,
      number,
    ];
    if (month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59 && second <= 60) {
      const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
      if (Number.isFinite(ms)) return ms;
    }
  }
  throw new AuthNotifyError('REQUEST_TIME_INVALID', `Request-Time "${value.slice(0, 40)}" is not a time`, {
    hint: 'Expected epoch milliseconds (1700000000000), epoch seconds, or ISO-8601 with an offset (2019-05-28T12:12:12+08:00).',
  });
}

export type RequestTimeStyle = 'epoch-ms' | 'iso';

/** Formats a time for an outgoing `Request-Time` / `Response-Time`. Epoch ms is what Alipay's SDKs send. */
export function formatRequestTime(epochMs: number, style: RequestTimeStyle = 'epoch-ms'): string {
  return style === 'iso' ? new Date(epochMs).toISOString() : String(Math.trunc(epochMs));
}

/**
 * Checks that a request time lies within the window around `now`. Throws `REQUEST_TIME_OUT_OF_WINDOW`.
 */
export function checkTimeWindow(
  requestTimeMs: number,
  now: number,
  window: TimeWindow = DEFAULT_TIME_WINDOW,
): void {
  const age = now - requestTimeMs;
  if (age > window.pastMs) {
    throw new AuthNotifyError(
      'REQUEST_TIME_OUT_OF_WINDOW',
      `Request-Time is ${formatDuration(age)} old; at most ${formatDuration(window.pastMs)} is accepted`,
      { hint: 'A replayed or very late notification, or a wrong clock on one side.' },
    );
  }
  if (-age > window.futureMs) {
    throw new AuthNotifyError(
      'REQUEST_TIME_OUT_OF_WINDOW',
      `Request-Time is ${formatDuration(-age)} in the future; at most ${formatDuration(window.futureMs)} is accepted`,
      { hint: "Check this machine's clock (NTP); the sender's clock may also be wrong." },
    );
  }
}

/** Human form of a duration: `2h 5m`, `10m`, `45s`, `120ms`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return [h ? `${h}h` : '', m ? `${m}m` : '', sec && !h ? `${sec}s` : ''].filter(Boolean).join(' ') || '0s';
}
