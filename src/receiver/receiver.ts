/**
 * The receiver: `handle(request)` verifies, validates, durably stores and acknowledges a notification —
 * in the order of DESIGN.md §2.1 — and the processor applies it afterwards. Web-standard Request/Response
 * only; adapters translate for Express, Fastify, Hono, Next.js and node:http.
 */
import { type Clock, systemClock } from '../protocol/clock.js';
import { AuthNotifyError, statusForCode } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import { type KeyInput, type KeyRing, toKeyRing } from '../protocol/key-ring.js';
import { importPrivateKey } from '../protocol/keys.js';
import { type Logger, silentLogger } from '../protocol/logger.js';
import { type Notification, type NotifyType, parseNotification } from '../protocol/notification.js';
import type { TimeWindow } from '../protocol/request-time.js';
import { formatRequestTime } from '../protocol/request-time.js';
import { ACK_BODY, failureBody, JSON_CONTENT_TYPE } from '../protocol/result.js';
import { type HeadersLike, readHeader, signMessage, verifyMessage } from '../protocol/signature.js';
import { type SignatureCrypto, webSignatureCrypto } from '../protocol/signature-crypto.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import type { InboxRecord, NewInboxRow, Store } from '../store/types.js';
import { readBodyCapped } from './body.js';
import { HandlerRegistry, type NotificationHandler } from './handlers.js';
import type { ApplyTokenPort, ReceiverObserver } from './ports.js';
import { InboxProcessor, type ProcessorOptions } from './processor.js';
import { bindSecretKey, createSecrets, type Secrets } from './secrets.js';

export const DEFAULT_NOTIFY_PATH = '/alipay/notify/authorization';
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

export interface ReceiverOptions {
  /** Your Alipay client id; `Client-Id` must equal it. */
  clientId: string;
  /** Alipay public key(s): one key, `{ keyVersion: key }`, or a ready key ring. */
  alipayPublicKeys: KeyRing | Readonly<Record<string, KeyInput>> | KeyInput;
  store: Store;
  /** ≥ 32 bytes (base64 or hex): token hashes and sealing of stored bodies derive from it. */
  secretKey: string | Uint8Array;
  /** The notify URL's path as registered with Alipay; verified first. Default `/alipay/notify/authorization`. */
  notifyPath?: string;
  /** Default 64 KiB. */
  maxBodyBytes?: number;
  /** Request-Time window. Default 25 h past / 5 min future; `false` turns it off (logged at startup). */
  timeWindow?: TimeWindow | false;
  /** Accept authStates that match no consult of ours. Default false (anti-forgery). */
  acceptUnknownAuthState?: boolean;
  /** Sign acknowledgements (optional per the docs) with this merchant private key. */
  merchantPrivateKey?: CryptoKey | string;
  merchantKeyVersion?: string;
  /** RSA256 implementation. Default WebCrypto; on Node pass `nodeSignatureCrypto` for speed. */
  crypto?: SignatureCrypto;
  /** Builds the token-hash and sealing keys from `secretKey`. Default WebCrypto; on Node pass `createNodeSecrets`. */
  secretsFactory?: (secretKey: string | Uint8Array) => Secrets | Promise<Secrets>;
  applyToken?: ApplyTokenPort;
  clock?: Clock;
  newId?: () => string;
  logger?: Logger;
  observer?: ReceiverObserver;
  processor?: ProcessorOptions;
}

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

export interface Receiver {
  /** Handles one notification request. Never throws; every failure is a JSON answer with a code. */
  handle(request: Request): Promise<Response>;
  /** The same as `handle` without Web objects, for adapters on hot paths. */
  receive(request: RawRequest): Promise<RawResponse>;
  /** Registers a handler run after the ack, at least once. Returns an unsubscribe function. */
  on<T extends NotifyType | '*'>(
    type: T,
    handler: NotificationHandler<T extends NotifyType ? T : NotifyType>,
  ): () => void;
  /** Starts the in-process processor. */
  start(): void;
  /** Stops the processor after its current batch. Does not close the store. */
  stop(): Promise<void>;
  /** Processes everything due now. */
  drain(): Promise<number>;
  /** Puts a QUARANTINED or FAILED notification back in the queue, re-validating quarantined bodies. */
  reprocess(inboxId: string): Promise<InboxRecord>;
  /** The decrypted raw body of a stored notification. */
  rawBodyOf(row: InboxRecord): Promise<Uint8Array>;
  readonly store: Store;
  readonly secrets: Secrets;
  readonly notifyPath: string;
  readonly maxBodyBytes: number;
}

const HEADERS_KEPT = ['Client-Id', 'Request-Time', 'Signature', 'Content-Type'] as const;

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

/**
 * The inbox key of DESIGN.md §2.1 step 4, with the access token replaced by its keyed hash so no token is
 * stored in plaintext (authCodes are single-use and kept as they are).
 */
async function storedEventKey(n: Notification, secrets: Secrets): Promise<string> {
  const subject =
    n.authorizationNotifyType === 'AUTHCODE_CREATED' ? n.authCode : await secrets.tokenHash(n.accessToken);
  return `${n.authorizationNotifyType}:${subject}`;
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
  let hex = '';
  for (const b of digest) hex += b.toString(16).padStart(2, '0');
  return hex;
}

/**
 * Creates a receiver.
 *
 * @example
 * const receiver = await createReceiver({
 *   clientId: process.env.ALIPAY_CLIENT_ID!, alipayPublicKeys: process.env.ALIPAY_PUBLIC_KEY!,
 *   store: await createSqliteStore({ path: './authnotify.db' }), secretKey: process.env.AUTHNOTIFY_SECRET_KEY!,
 * });
 * receiver.on('TOKEN_CANCELED', async ({ notification }) => disableAutoDebit(notification.accessToken));
 * receiver.start();
 * // in any framework: return receiver.handle(request)
 */
export async function createReceiver(options: ReceiverOptions): Promise<Receiver> {
  if (!options.clientId) throw new AuthNotifyError('CONFIG_INVALID', 'clientId is required');
  const keys = await toKeyRing(options.alipayPublicKeys);
  const secrets = await (options.secretsFactory ?? createSecrets)(options.secretKey);
  const clock = options.clock ?? systemClock;
  // A different key could neither open the sealed bodies nor match the token hashes already stored.
  await bindSecretKey(options.store, options.secretKey, clock.now());
  const newId = options.newId ?? (() => uuidv7(clock.now()));
  const logger = options.logger ?? silentLogger;
  const observer = options.observer ?? {};
  const notifyPath = options.notifyPath ?? DEFAULT_NOTIFY_PATH;
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const primitive = options.crypto ?? webSignatureCrypto;
  const window = options.timeWindow;
  if (window === false)
    logger.warn({}, 'Request-Time window check is OFF by configuration: replayed notifications are accepted');
  const merchantKey =
    typeof options.merchantPrivateKey === 'string'
      ? await importPrivateKey(options.merchantPrivateKey)
      : options.merchantPrivateKey;
  const store = options.store;
  const handlers = new HandlerRegistry();
  const processor = new InboxProcessor(
    {
      store,
      clock,
      newId,
      secrets,
      handlers,
      logger,
      observer,
      acceptUnknownAuthState: options.acceptUnknownAuthState ?? false,
      applyToken: options.applyToken,
    },
    options.processor,
  );

  async function ack(): Promise<RawResponse> {
    if (!merchantKey) return jsonResponse(200, ACK_BODY);
    const time = formatRequestTime(clock.now());
    const signature = await signMessage({
      path: notifyPath,
      clientId: options.clientId,
      time,
      body: ACK_BODY,
      privateKey: merchantKey,
      keyVersion: options.merchantKeyVersion,
      crypto: primitive,
    });
    return jsonResponse(200, ACK_BODY, {
      'Client-Id': options.clientId,
      'Response-Time': time,
      Signature: signature,
    });
  }

  async function handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const raw = await receive({
      method: request.method,
      path: `${url.pathname}${url.search}`,
      headers: request.headers,
      readBody: (maxBytes) => readBodyCapped(request, maxBytes),
    });
    return new Response(raw.body, { status: raw.status, headers: raw.headers });
  }

  async function receive(request: RawRequest): Promise<RawResponse> {
    const started = clock.now();
    const requestId = newId();
    const done = (
      outcome: Parameters<NonNullable<ReceiverObserver['received']>>[0],
      code: string | null,
      type: string | null,
    ) => observer.received?.(outcome, code, type, clock.now() - started);
    const refuse = (code: string, message: string, status: number, extra: Record<string, string> = {}) => {
      logger.warn({ requestId, code, status }, `notification rejected: ${message}`);
      done('rejected', code, null);
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
          clientId: options.clientId,
          keys,
          canonicalPath: notifyPath,
          ...(window === undefined ? {} : { window }),
          now: clock.now(),
          crypto: primitive,
        },
      );
      if (!verdict.ok) return refuse(verdict.code, verdict.message, statusForCode(verdict.code));

      const parsed = parseNotification(body);
      const headers: Record<string, string> = {};
      for (const name of HEADERS_KEPT) {
        const value = readHeader(request.headers, name);
        if (value !== undefined) headers[name] = value;
      }
      const base = {
        id: newId(),
        rawBody: await secrets.seal(body),
        headers,
        path: receivedPath,
        matchedPath: verdict.matchedPath,
        keyVersion: verdict.keyVersion,
        requestId,
        receivedAt: clock.now(),
      };
      let row: NewInboxRow;
      if (parsed.status === 'valid') {
        const n = parsed.notification;
        row = {
          ...base,
          eventKey: await storedEventKey(n, secrets),
          type: n.authorizationNotifyType,
          status: 'PENDING',
          violations: null,
        };
      } else {
        // Genuine but not processable: keep it, acknowledge it, let an operator look (DESIGN.md §2.1 step 3).
        row = {
          ...base,
          eventKey: `QUARANTINED:${await sha256Hex(body)}`,
          type: parsed.type ?? null,
          status: 'QUARANTINED',
          violations: parsed.violations,
        };
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
      } else {
        logger.info({ requestId, inboxId: stored.id, type: row.type }, 'notification stored');
        done('stored', null, row.type);
        processor.nudge();
      }
      return await ack();
    } catch (error) {
      logger.error(
        { requestId, err: (error as Error).message },
        'unexpected error while receiving a notification',
      );
      done('unavailable', 'INTERNAL_ERROR', null);
      return reject('UNKNOWN_EXCEPTION', 'an unexpected error occurred; retry later', 500, 'U');
    }
  }

  async function reprocess(inboxId: string): Promise<InboxRecord> {
    const row = await store.getInbox(inboxId);
    if (!row) throw new AuthNotifyError('NOT_FOUND', `notification ${inboxId} does not exist`);
    if (row.status !== 'QUARANTINED' && row.status !== 'FAILED') {
      throw new AuthNotifyError(
        'CONFLICT',
        `notification ${inboxId} is ${row.status}; only QUARANTINED or FAILED ones can be reprocessed`,
      );
    }
    let reclassified: { eventKey: string; type: string; violations: null } | undefined;
    if (row.status === 'QUARANTINED') {
      const parsed = parseNotification(await secrets.open(row.rawBody));
      if (parsed.status !== 'valid') {
        throw new AuthNotifyError(
          'PARAM_ILLEGAL',
          `notification ${inboxId} still does not validate: ${parsed.violations.map((v) => `${v.path} ${v.rule}`).join('; ')}`,
          {
            status: 409,
          },
        );
      }
      const n = parsed.notification;
      reclassified = {
        eventKey: await storedEventKey(n, secrets),
        type: n.authorizationNotifyType,
        violations: null,
      };
    }
    let updated: InboxRecord | undefined;
    try {
      updated = await store.requeueInbox(inboxId, clock.now(), reclassified);
    } catch (error) {
      if (error instanceof AuthNotifyError && error.code === 'CONFLICT') {
        throw new AuthNotifyError(
          'CONFLICT',
          `the same event is already in the inbox; notification ${inboxId} is a duplicate of it`,
        );
      }
      throw error;
    }
    if (!updated)
      throw new AuthNotifyError('CONFLICT', `notification ${inboxId} changed while reprocessing; try again`);
    processor.nudge();
    return updated;
  }

  return {
    handle,
    receive,
    on: (type, handler) => handlers.on(type, handler),
    start: () => processor.start(),
    stop: () => processor.stop(),
    drain: () => processor.drain(),
    reprocess,
    rawBodyOf: (row) => secrets.open(row.rawBody),
    store,
    secrets,
    notifyPath,
    maxBodyBytes,
  };
}
