/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com), on WebCrypto only: a secret is
 * `whsec_` + base64 of 24–64 random bytes; a delivery carries `webhook-id`, `webhook-timestamp` (Unix
 * seconds) and `webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>.<body>">`, one signature per
 * secret in use, space-separated (several while a rotated secret overlaps the new one).
 */
import { concatBytes, decodeBase64Strict, timingSafeEqualString, toBase64, utf8 } from '../protocol/bytes.js';
import { AuthNotifyError } from '../protocol/errors.js';
import type { CryptoKey } from '../protocol/web-crypto.js';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

/**
 * A new signing secret: `whsec_` and 32 random bytes in base64.
 *
 * @example
 * const secret = generateWebhookSecret(); // 'whsec_q3J…'
 */
export function generateWebhookSecret(): string {
  const bytes = new Uint8Array(32);
  crypto.getRandomValues(bytes);
  return `${WEBHOOK_SECRET_PREFIX}${toBase64(bytes)}`;
}

/**
 * The HMAC key of a `whsec_…` secret. Anything else (no prefix, bad base64, fewer than 24 or more than 64
 * bytes) is a CONFIG_INVALID error that says which and how to make a good one; the secret is never echoed.
 *
 * @example
 * const key = parseWebhookSecret(process.env.AUTHNOTIFY_FORWARD_SECRET!);
 */
export function parseWebhookSecret(text: string, where = 'the signing secret'): Uint8Array {
  const fix =
    'use a secret made by authnotify (printed when it generates one) or `whsec_` + base64 of 32 random bytes';
  const trimmed = text.trim();
  if (trimmed === '') throw new AuthNotifyError('CONFIG_INVALID', `${where} is empty; ${fix}`);
  if (!trimmed.startsWith(WEBHOOK_SECRET_PREFIX))
    throw new AuthNotifyError('CONFIG_INVALID', `${where} does not start with "whsec_"; ${fix}`);
  const decoded = decodeBase64Strict(trimmed.slice(WEBHOOK_SECRET_PREFIX.length));
  if ('problem' in decoded)
    throw new AuthNotifyError(
      'CONFIG_INVALID',
      `${where} is not base64 after "whsec_" (${decoded.problem}); ${fix}`,
    );
  const n = decoded.bytes.length;
  if (n < MIN_SECRET_BYTES || n > MAX_SECRET_BYTES)
    throw new AuthNotifyError(
      'CONFIG_INVALID',
      `${where} holds ${n} bytes; Standard Webhooks secrets hold ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES}; ${fix}`,
    );
  return decoded.bytes;
}

// Importing a key costs more than one HMAC: keep the last few secrets' keys.
const keys = new Map<string, Promise<CryptoKey>>();
function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    if (keys.size >= 64) keys.delete(keys.keys().next().value as string);
    key = crypto.subtle.importKey(
      'raw',
      parseWebhookSecret(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    ) as Promise<CryptoKey>;
    keys.set(secret, key);
    key.catch(() => keys.delete(secret));
  }
  return key;
}

function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? utf8(body) : body;
}

/** `v1,<base64>` for one secret. */
async function signOne(secret: string, content: Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), content);
  return `v1,${toBase64(new Uint8Array(mac))}`;
}

export interface WebhookSignInput {
  /** `webhook-id`: the same for every retry of one event to one destination. */
  id: string;
  /** When this attempt is sent, epoch milliseconds (the header carries whole seconds). */
  at: number;
  /** The exact bytes sent. */
  body: string | Uint8Array;
  /** Every secret in use, newest first: one signature each. */
  secrets: readonly string[];
}

/**
 * The three Standard Webhooks headers for one delivery attempt.
 *
 * @example
 * const headers = await webhookHeaders({ id: event.id, at: Date.now(), body, secrets: [secret] });
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body });
 */
export async function webhookHeaders(input: WebhookSignInput): Promise<Record<string, string>> {
  if (input.secrets.length === 0)
    throw new AuthNotifyError('CONFIG_INVALID', 'a delivery needs a signing secret');
  const timestamp = String(Math.floor(input.at / 1000));
  const content = concatBytes([utf8(`${input.id}.${timestamp}.`), bodyBytes(input.body)]);
  const signatures = await Promise.all(input.secrets.map((s) => signOne(s, content)));
  return {
    'webhook-id': input.id,
    'webhook-timestamp': timestamp,
    'webhook-signature': signatures.join(' '),
  };
}

/**
 * True when one of the `v1` signatures in `signatureHeader` was made with one of `secrets` over
 * `<id>.<timestamp>.<body>` (compared in constant time). The timestamp's age is the caller's check.
 */
export async function matchesWebhookSignature(input: {
  id: string;
  timestamp: string;
  body: string | Uint8Array;
  signatureHeader: string;
  secrets: readonly string[];
}): Promise<boolean> {
  const content = concatBytes([utf8(`${input.id}.${input.timestamp}.`), bodyBytes(input.body)]);
  const offered = input.signatureHeader
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .map((s) => s.slice(3));
  if (offered.length === 0) return false;
  for (const secret of input.secrets) {
    const expected = (await signOne(secret, content)).slice(3);
    if (offered.some((s) => timingSafeEqualString(s, expected))) return true;
  }
  return false;
}
