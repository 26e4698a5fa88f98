/**
 * The inbox row a verified request becomes (DESIGN.md §2.1 steps 3–4): a PENDING event under its dedupe
 * key — the access token replaced by its keyed hash, so no token is stored in plaintext — or, for a genuine
 * body that does not validate, a QUARANTINED row keyed by the body's SHA-256. Bodies are sealed.
 */
import { factsOf } from '../authorization/facts.js';
import { sha256Hex } from '../protocol/bytes.js';
import { eventKey } from '../protocol/event-key.js';
import type { Notification, ParseOutcome } from '../protocol/notification.js';
import { type HeadersLike, readHeader } from '../protocol/signature.js';
import type { NewInboxRow } from '../store/types.js';
import { notificationEventOf } from './lifecycle-step.js';
import type { Secrets } from './secrets.js';

/** The request headers an inbox row keeps, exactly as received. */
const HEADERS_KEPT = ['Client-Id', 'Request-Time', 'Signature', 'Content-Type'] as const;

/** The event key as stored: authCodes as they are (single-use), access tokens as their keyed hash. */
export async function storedEventKey(n: Notification, secrets: Secrets): Promise<string> {
  return n.authorizationNotifyType === 'AUTHCODE_CREATED'
    ? eventKey(n)
    : eventKey(n, await secrets.tokenHash(n.accessToken));
}

export interface VerifiedRequest {
  id: string;
  body: Uint8Array;
  parsed: ParseOutcome;
  headers: HeadersLike;
  path: string;
  matchedPath: 'canonical' | 'received';
  keyVersion: string;
  requestId: string;
  receivedAt: number;
}

/** The row to insert for a request whose signature verified. */
export async function inboxRowFor(request: VerifiedRequest, secrets: Secrets): Promise<NewInboxRow> {
  const headers: Record<string, string> = {};
  for (const name of HEADERS_KEPT) {
    const value = readHeader(request.headers, name);
    if (value !== undefined) headers[name] = value;
  }
  const base = {
    id: request.id,
    rawBody: await secrets.seal(request.body),
    headers,
    path: request.path,
    matchedPath: request.matchedPath,
    keyVersion: request.keyVersion,
    requestId: request.requestId,
    receivedAt: request.receivedAt,
  };
  const { parsed } = request;
  if (parsed.status === 'valid') {
    const n = parsed.notification;
    // The token is hashed once: the event key's subject, and the lifecycle facts applied without the body.
    const tokenHash =
      n.authorizationNotifyType === 'AUTHCODE_CREATED' ? undefined : await secrets.tokenHash(n.accessToken);
    return {
      ...base,
      eventKey: tokenHash === undefined ? eventKey(n) : eventKey(n, tokenHash),
      type: n.authorizationNotifyType,
      status: 'PENDING',
      violations: null,
      facts: factsOf(notificationEventOf(n, tokenHash)),
    };
  }
  // Genuine but not processable: keep it, acknowledge it, let an operator look (DESIGN.md §2.1 step 3).
  return {
    ...base,
    eventKey: `QUARANTINED:${await sha256Hex(request.body)}`,
    type: parsed.type ?? null,
    status: 'QUARANTINED',
    violations: parsed.violations,
  };
}
