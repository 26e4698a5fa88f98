/**
 * The consumer's side of forwarding (`authnotify/events`): verify a delivery's Standard Webhooks
 * signature over the raw body, check its timestamp, and parse it into a typed event, in one call.
 */
import { AuthNotifyError } from '../protocol/errors.js';
import { EVENT_SCHEMAS } from './schemas.js';
import { matchesWebhookSignature, parseWebhookSecret } from './standard-webhooks.js';
import { type EventType, isEventType, type StoredAuthnotifyEvent } from './types.js';

/** Headers as Fetch, Node or a framework give them. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

export interface VerifyEventOptions {
  /** The request body exactly as received (do not parse and re-serialize it). */
  body: string | Uint8Array;
  headers: HeaderSource;
  /** The destination's secret (`whsec_…`), or several while you roll one over. */
  secret: string | readonly string[];
  /** How far `webhook-timestamp` may be from now, in seconds. Default 300 (the specification's). */
  toleranceSeconds?: number;
  /** The current time in epoch milliseconds. Default `Date.now()`. */
  now?: number;
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : record[key];
  return Array.isArray(value) ? value.join(' ') : (value as string | undefined);
}

/**
 * Verifies and parses one forwarded event. Throws an `AuthNotifyError`: `HEADER_MISSING` (a `webhook-*`
 * header is absent), `REQUEST_TIME_OUT_OF_WINDOW` (the timestamp is too old or too new: a replay),
 * `INVALID_SIGNATURE` (no signature matches: wrong secret, or the body was changed — re-serialized by a
 * body parser, say), `BODY_INVALID` (not an event), or `EVENT_TYPE_UNKNOWN` (a type this version does not
 * know, from a newer authnotify: acknowledge it and move on).
 *
 * @example
 * app.post('/authnotify/events', express.raw({ type: 'application/json' }), async (req, res) => {
 *   const event = await verifyEvent({ body: req.body, headers: req.headers, secret: process.env.AUTHNOTIFY_WEBHOOK_SECRET! });
 *   switch (event.type) {
 *     case 'authorization.canceled': await stopAutoDebit(event.data.id, event.data.reason); break;
 *   }
 *   res.sendStatus(204);
 * });
 */
export async function verifyEvent(options: VerifyEventOptions): Promise<StoredAuthnotifyEvent> {
  const secrets = typeof options.secret === 'string' ? [options.secret] : [...options.secret];
  if (secrets.length === 0)
    throw new AuthNotifyError('CONFIG_INVALID', 'verifyEvent needs the destination secret');
  for (const [i, s] of secrets.entries())
    parseWebhookSecret(s, secrets.length > 1 ? `secret ${i + 1}` : 'the secret');
  const id = header(options.headers, 'webhook-id');
  const timestamp = header(options.headers, 'webhook-timestamp');
  const signature = header(options.headers, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestamp],
    ['webhook-signature', signature],
  ].filter(([, v]) => v === undefined || v === '');
  if (missing.length > 0)
    throw new AuthNotifyError('HEADER_MISSING', `missing ${missing.map(([n]) => n).join(', ')}`, {
      hint: 'Forwarded deliveries carry webhook-id, webhook-timestamp and webhook-signature; is a proxy dropping them?',
    });
  const seconds = /^\d{1,12}$/.test(timestamp as string) ? Number(timestamp) : Number.NaN;
  const now = (options.now ?? Date.now()) / 1000;
  const tolerance = options.toleranceSeconds ?? 300;
  if (!Number.isFinite(seconds) || Math.abs(now - seconds) > tolerance)
    throw new AuthNotifyError(
      'REQUEST_TIME_OUT_OF_WINDOW',
      `webhook-timestamp ${String(timestamp).slice(0, 20)} is more than ${tolerance} s from now`,
      { hint: "A replayed delivery, or this machine's clock is off." },
    );
  const matched = await matchesWebhookSignature({
    id: id as string,
    timestamp: timestamp as string,
    body: options.body,
    signatureHeader: signature as string,
    secrets,
  });
  if (!matched)
    throw new AuthNotifyError('INVALID_SIGNATURE', 'no webhook-signature matches the secret', {
      hint: 'Check the destination secret (a rotated one?), and verify the raw body: a JSON body parser that ran first changes the bytes.',
    });
  return parseEvent(options.body, id as string);
}

/** Parses a verified body into a typed event (`verifyEvent` calls it; use it alone only on trusted input). */
export function parseEvent(body: string | Uint8Array, id: string): StoredAuthnotifyEvent {
  let json: unknown;
  try {
    json = JSON.parse(typeof body === 'string' ? body : new TextDecoder().decode(body));
  } catch {
    throw new AuthNotifyError('BODY_INVALID', 'the event body is not JSON');
  }
  const type = (json as { type?: unknown } | null)?.type;
  if (typeof type !== 'string') throw new AuthNotifyError('BODY_INVALID', 'the event has no type');
  if (!isEventType(type))
    throw new AuthNotifyError(
      'EVENT_TYPE_UNKNOWN',
      `event type "${type.slice(0, 64)}" is not known to this version`,
      {
        hint: 'A newer authnotify sent it: acknowledge it (2xx) and upgrade to handle it.',
      },
    );
  const parsed = EVENT_SCHEMAS[type as EventType].safeParse(json);
  if (!parsed.success)
    throw new AuthNotifyError(
      'BODY_INVALID',
      `the ${type} event does not match its schema: ${parsed.error.issues[0]?.message}`,
    );
  return { ...(parsed.data as object), id } as StoredAuthnotifyEvent;
}
