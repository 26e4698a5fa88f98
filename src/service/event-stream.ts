/**
 * `GET /api/v1/events/stream`: the event log as server-sent events, resumable with `Last-Event-ID`, and
 * (with `include=notifications`) the notifications as they are received, for `authnotify tail`. Each
 * message's id is a cursor for both; a client that reconnects with it misses nothing of the event log.
 *
 * Notifications are followed by receipt time, read a moment behind the clock: a notification's receipt
 * time is taken before its signature check and its commit, so the newest second may still fill in.
 */
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { Clock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import type { Logger } from '../protocol/logger.js';
import type { Store } from '../store/types.js';
import { notificationSummary } from './api-views.js';

/** How far behind the clock notifications are read. */
export const NOTIFICATION_LAG_MS = 1500;
const KEEPALIVE_MS = 15_000;

export interface StreamCursor {
  events: string;
  /** Receipt time and id of the last notification sent (with `include=notifications`). */
  inbox?: [number, string] | undefined;
}

export function encodeStreamCursor(cursor: StreamCursor): string {
  return Buffer.from(
    JSON.stringify(cursor.inbox ? [cursor.events, ...cursor.inbox] : [cursor.events]),
  ).toString('base64url');
}

export function decodeStreamCursor(text: string): StreamCursor {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && typeof value[0] === 'string' && /^\d+\.\d+$/.test(value[0])) {
      if (value.length === 1) return { events: value[0] };
      if (value.length === 3 && typeof value[1] === 'number' && typeof value[2] === 'string')
        return { events: value[0], inbox: [value[1], value[2]] };
    }
  } catch {
    // fall through
  }
  throw new AuthNotifyError('PARAM_ILLEGAL', 'Last-Event-ID (or after) is not a cursor this stream sent', {
    status: 400,
  });
}

export interface StreamDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** How often the store is read while nothing is new. Default 500 ms. */
  pollMs: number;
  /** Aborted when the service shuts down: every stream ends. */
  closing: AbortSignal;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/** Opens one stream from `cursor` (already checked). */
export function eventStream(
  c: Context,
  deps: StreamDeps,
  cursor: StreamCursor,
  options: { types: readonly string[] | undefined; notifications: boolean; onEnd: () => void },
): Response {
  const { store, clock, logger } = deps;
  return streamSSE(c, async (stream) => {
    const ended = new AbortController();
    const end = () => ended.abort();
    stream.onAbort(end);
    deps.closing.addEventListener('abort', end, { once: true });
    let quietSince = clock.now();
    let failures = 0;
    try {
      await stream.write(': authnotify event stream\nretry: 2000\n\n');
      while (!ended.signal.aborted) {
        let sent = 0;
        let full = false;
        try {
          const page = await store.events.feed({ after: cursor.events, limit: 100, types: options.types });
          full = page.items.length === 100;
          for (const e of page.items) {
            cursor.events = e.position;
            const data = JSON.stringify({ id: e.id, ...(JSON.parse(e.payload) as object) });
            await stream.writeSSE({ id: encodeStreamCursor(cursor), event: e.type, data });
            sent++;
          }
          // Nothing of these types up to the head: start from it, so that a resumed stream does not read
          // the other types' events again (positions only grow, so the head is never behind the cursor).
          if (page.items.length === 0 && options.types) cursor.events = await store.events.head();
          if (options.notifications) {
            const rows = await store.inboxSince(cursor.inbox, clock.now() - NOTIFICATION_LAG_MS, 100);
            full ||= rows.length === 100;
            for (const row of rows) {
              cursor.inbox = [row.receivedAt, row.id];
              const data = JSON.stringify(notificationSummary(row));
              await stream.writeSSE({ id: encodeStreamCursor(cursor), event: 'notification.received', data });
              sent++;
            }
          }
          failures = 0;
        } catch (error) {
          failures++;
          logger.warn({ err: (error as Error).message }, 'event stream could not read the store; retrying');
          await stream.write(`: the store did not answer; retrying\n\n`);
        }
        const now = clock.now();
        if (sent > 0) quietSince = now;
        else if (now - quietSince >= KEEPALIVE_MS) {
          await stream.write(': keepalive\n\n');
          quietSince = now;
        }
        if (!full)
          await pause(
            failures > 0 ? Math.min(deps.pollMs * 2 ** failures, 10_000) : deps.pollMs,
            ended.signal,
          );
      }
    } finally {
      deps.closing.removeEventListener('abort', end);
      options.onEnd();
    }
  });
}
