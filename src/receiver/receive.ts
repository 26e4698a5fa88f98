/**
 * The receive pipeline of DESIGN.md §2.1, in its order: method and media type, the capped body, the
 * signature (path, Client-Id, Request-Time, RSA256), validation, the durable insert, then the ack. Every
 * failure is a JSON answer with a result code; nothing is acknowledged before it is stored.
 */
import type { Clock } from '../protocol/clock.js';
import { AuthNotifyError, statusForCode } from '../protocol/errors.js';
import type { KeyRing } from '../protocol/key-ring.js';
import type { Logger } from '../protocol/logger.js';
import { parseNotification } from '../protocol/notification.js';
import { formatRequestTime, type TimeWindow } from '../protocol/request-time.js';
import { ACK_BODY, failureBody, JSON_CONTENT_TYPE } from '../protocol/result.js';
import { type HeadersLike, readHeader, signMessage, verifyMessage } from '../protocol/signature.js';
import type { SignatureCrypto } from '../protocol/signature-crypto.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import type { NewInboxRow, Store } from '../store/types.js';
import { inboxRowFor } from './inbox-row.js';
import type { ReceiverObserver } from './ports.js';
import { reportApplied } from './processor-due.js';
import type { Secrets } from './secrets.js';

/**
 * A request as the receiver needs it, for adapters that can supply it more cheaply than a Web `Request`.
 * `readBody` must stop and throw `BODY_TOO_LARGE` (an AuthNotifyError) past `maxBytes`.
 */
export interface RawRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  headers: HeadersLike;
  readBody(maxBytes: number): Promise<Uint8Array>;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function jsonResponse(status: number, body: string, extra: Record<string, string> = {}): RawResponse {
  return { status, headers: { 'Content-Type': JSON_CONTENT_TYPE, ...extra }, body };
}

function reject(
  code: string,
  message: string,
  status: number,
  resultStatus: 'F' | 'U' = 'F',
  extra: Record<string, string> = {},
): RawResponse {
  return jsonResponse(status, failureBody(code, message, resultStatus), extra);
}

/** A request answered with anything but the ack, as `onRejected` sees it. */
export interface Rejection {
  requestId: string;
  status: number;
  /** The result code of the answer (INVALID_SIGNATURE, PROCESS_FAIL, …). */
  code: string;
  /** `F`: do not retry as is; `U`: Alipay retries (the store was down, an unexpected error). */
  resultStatus: 'F' | 'U';
  message: string;
}

export interface ReceiveDeps {
  clientId: string;
  keys: KeyRing;
  notifyPath: string;
  maxBodyBytes: number;
  window: TimeWindow | false | undefined;
  crypto: SignatureCrypto;
  /** Signs acknowledgements when set. */
  merchantKey: CryptoKey | undefined;
  merchantKeyVersion: string | undefined;
  store: Store;
  secrets: Secrets;
  clock: Clock;
  newId: () => string;
  logger: Logger;
  observer: ReceiverObserver;
  onRejected?: ((rejection: Rejection) => void) | undefined;
  /** Wakes the processor after a new row is stored, saying what it is (see InboxProcessor.nudge). */
  nudge: (stored: { type: string | null; facts: boolean }) => void;
  /**
   * How a new row of this type may be applied with its insert (see NewInboxRow.applyAtReceipt), or
   * undefined to leave it to the processor (see InboxProcessor.appliesAtReceipt).
   */
  applyAtReceipt?: ((type: string) => NewInboxRow['applyAtReceipt']) | undefined;
}

/** The pipeline as a function of a raw request. */
export function createReceive(deps: ReceiveDeps): (request: RawRequest) => Promise<RawResponse> {
  const { clientId, keys, notifyPath, maxBodyBytes, window, store, secrets, clock, newId, logger, observer } =
    deps;
  const primitive = deps.crypto;
  const merchantKey = deps.merchantKey;

  async function ack(): Promise<RawResponse> {
    if (!merchantKey) return jsonResponse(200, ACK_BODY);
    const time = formatRequestTime(clock.now());
    const signature = await signMessage({
      path: notifyPath,
      clientId: clientId,
      time,
      body: ACK_BODY,
      privateKey: merchantKey,
      keyVersion: deps.merchantKeyVersion,
      crypto: primitive,
    });
    return jsonResponse(200, ACK_BODY, {
      'Client-Id': clientId,
      'Response-Time': time,
      Signature: signature,
    });
  }

  return async function receive(request: RawRequest): Promise<RawResponse> {
    const started = clock.now();
    const requestId = newId();
    const done = (
      outcome: Parameters<NonNullable<ReceiverObserver['received']>>[0],
      code: string | null,
      type: string | null,
    ) => observer.received?.(outcome, code, type, clock.now() - started);
    const tell = (status: number, code: string, resultStatus: 'F' | 'U', message: string) => {
      try {
        deps.onRejected?.({ requestId, status, code, resultStatus, message });
      } catch (error) {
        logger.error({ requestId, err: (error as Error).message }, 'the onRejected hook threw');
      }
    };
    const refuse = (code: string, message: string, status: number, extra: Record<string, string> = {}) => {
      logger.warn({ requestId, code, status }, `notification rejected: ${message}`);
      done('rejected', code, null);
      tell(status, code, 'F', message);
      return reject(code, message, status, 'F', extra);
    };
    try {
      if (request.method !== 'POST') {
        return refuse(
          'METHOD_NOT_ALLOWED',
          `${request.method} is not allowed; Alipay POSTs notifications`,
          405,
          { Allow: 'POST' },
        );
      }
      const contentType = readHeader(request.headers, 'content-type') ?? '';
      if (!/^application\/json\s*(;|$)/i.test(contentType)) {
        return refuse(
          'UNSUPPORTED_MEDIA_TYPE',
          `Content-Type "${contentType.slice(0, 60)}" is not application/json`,
          415,
        );
      }
      let body: Uint8Array;
      try {
        body = await request.readBody(maxBodyBytes);
      } catch (error) {
        const e =
          error instanceof AuthNotifyError
            ? error
            : new AuthNotifyError('BODY_INVALID', 'the request body could not be read');
        return refuse(e.code, e.message, e.status);
      }
      const receivedPath = request.path;
      const verdict = await verifyMessage(
        { receivedPath, headers: request.headers, body },
        {
          clientId,
          keys,
          canonicalPath: notifyPath,
          ...(window === undefined ? {} : { window }),
          now: clock.now(),
          crypto: primitive,
        },
      );
      if (!verdict.ok) return refuse(verdict.code, verdict.message, statusForCode(verdict.code));

      const row = await inboxRowFor(
        {
          id: newId(),
          body,
          parsed: parseNotification(body),
          headers: request.headers,
          path: receivedPath,
          matchedPath: verdict.matchedPath,
          keyVersion: verdict.keyVersion,
          requestId,
          receivedAt: clock.now(),
        },
        secrets,
      );
      if (row.status === 'PENDING' && row.type !== null && row.facts) {
        const atReceipt = deps.applyAtReceipt?.(row.type);
        if (atReceipt) row.applyAtReceipt = atReceipt;
      }
      let stored: Awaited<ReturnType<Store['insertInbox']>>;
      try {
        stored = await store.insertInbox(row);
      } catch (error) {
        logger.error(
          { requestId, err: (error as Error).message },
          'store unavailable: answering 503 so Alipay retries',
        );
        done('unavailable', 'STORE_UNAVAILABLE', row.type);
        tell(503, 'PROCESS_FAIL', 'U', 'the notification could not be stored; retry later');
        return reject('PROCESS_FAIL', 'the notification could not be stored; retry later', 503, 'U', {
          'Retry-After': '60',
        });
      }
      if (stored.outcome === 'duplicate') {
        logger.info(
          { requestId, inboxId: stored.id, duplicates: stored.duplicates },
          'duplicate notification acknowledged again',
        );
        done('duplicate', null, row.type);
      } else if (row.status === 'QUARANTINED') {
        logger.warn(
          { requestId, inboxId: stored.id, violations: row.violations?.map((v) => `${v.path}:${v.rule}`) },
          'verified notification quarantined',
        );
        done('quarantined', null, row.type);
      } else if (stored.applied) {
        // Applied with its insert: nothing is left for the processor to do.
        const applied = stored.applied;
        logger.info(
          { requestId, inboxId: stored.id, type: row.type, outcome: applied.outcome },
          'notification stored and applied',
        );
        done('stored', null, row.type);
        reportApplied({ logger, observer }, applied);
      } else {
        logger.info({ requestId, inboxId: stored.id, type: row.type }, 'notification stored');
        done('stored', null, row.type);
        deps.nudge({ type: row.type, facts: row.facts !== null && row.facts !== undefined });
      }
      return await ack();
    } catch (error) {
      logger.error(
        { requestId, err: (error as Error).message },
        'unexpected error while receiving a notification',
      );
      done('unavailable', 'INTERNAL_ERROR', null);
      tell(500, 'UNKNOWN_EXCEPTION', 'U', 'an unexpected error occurred; retry later');
      return reject('UNKNOWN_EXCEPTION', 'an unexpected error occurred; retry later', 500, 'U');
    }
  };
}
