/**
 * The receiver: `handle(request)` verifies, validates, durably stores and acknowledges a notification —
 * in the order of DESIGN.md §2.1 — and the processor applies it afterwards. Web-standard Request/Response
 * only; adapters translate for Express, Fastify, Hono, Next.js and node:http.
 */
import { type Clock, systemClock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import { type KeyInput, type KeyRing, toKeyRing } from '../protocol/key-ring.js';
import { importPrivateKey } from '../protocol/keys.js';
import { consoleLogger, type Logger, silentLogger } from '../protocol/logger.js';
import type { NotifyType } from '../protocol/notification.js';
import type { TimeWindow } from '../protocol/request-time.js';
import { type SignatureCrypto, webSignatureCrypto } from '../protocol/signature-crypto.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import type { InboxRecord, Store } from '../store/types.js';
import { readBodyCapped } from './body.js';
import { HandlerRegistry, type NotificationHandler } from './handlers.js';
import type { ApplyTokenPort, ReceiverObserver } from './ports.js';
import { InboxProcessor, type ProcessorOptions } from './processor.js';
import { createReceive, type RawRequest, type RawResponse, type Rejection } from './receive.js';
import { replay, reprocess } from './reprocess.js';
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
  /**
   * Where warnings and errors go (rejected requests, store failures, failed handlers). Default
   * `consoleLogger()` (warnings and errors on the console); pass pino or another logger, or `false` to
   * silence it. Fields never carry tokens or signatures.
   */
  logger?: Logger | false;
  /** Called for every request answered with anything but the ack (its status, result code and message). */
  onRejected?: (rejection: Rejection) => void;
  observer?: ReceiverObserver;
  processor?: ProcessorOptions;
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
  /** Runs a PROCESSED notification's handlers again (its lifecycle is not applied twice). */
  replay(inboxId: string): Promise<InboxRecord>;
  /** The decrypted raw body of a stored notification. */
  rawBodyOf(row: InboxRecord): Promise<Uint8Array>;
  readonly store: Store;
  readonly secrets: Secrets;
  /** The receiver's logger (adapters write what they refuse to it). */
  readonly logger: Logger;
  readonly notifyPath: string;
  readonly maxBodyBytes: number;
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
  const logger = options.logger === false ? silentLogger : (options.logger ?? consoleLogger());
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

  const receive = createReceive({
    clientId: options.clientId,
    keys,
    notifyPath,
    maxBodyBytes,
    window,
    crypto: primitive,
    merchantKey,
    merchantKeyVersion: options.merchantKeyVersion,
    store,
    secrets,
    clock,
    newId,
    logger,
    observer,
    onRejected: options.onRejected,
    nudge: (stored) => processor.nudge(stored),
    applyAtReceipt: (type) => processor.appliesAtReceipt(type),
  });

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

  return {
    handle,
    receive,
    on: (type, handler) => handlers.on(type, handler),
    start: () => processor.start(),
    stop: () => processor.stop(),
    drain: () => processor.drain(),
    reprocess: (inboxId) => reprocess({ store, secrets, clock, nudge: () => processor.nudge() }, inboxId),
    replay: (inboxId) => replay({ store, secrets, clock, nudge: () => processor.nudge() }, inboxId),
    rawBodyOf: (row) => secrets.open(row.rawBody),
    store,
    secrets,
    logger,
    notifyPath,
    maxBodyBytes,
  };
}
