/**
 * The sender: delivers signed notifications on Alipay's documented schedule (DESIGN.md §1.4) until one is
 * acknowledged. The outbox table is the queue; workers lease due rows, so several processes can share it
 * and a dead worker's rows come back. Each delivery is signed afresh with its own Request-Time.
 */
import { checkHttpUrl } from '../http/url.js';
import { utf8 } from '../protocol/bytes.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import { importPrivateKey } from '../protocol/keys.js';
import { type Logger, silentLogger } from '../protocol/logger.js';
import { formatRequestTime, type RequestTimeStyle } from '../protocol/request-time.js';
import { isAckBody, JSON_CONTENT_TYPE } from '../protocol/result.js';
import { ALIPAY_SCHEDULE, type RetrySchedule } from '../protocol/schedule.js';
import { signMessage } from '../protocol/signature.js';
import { type SignatureCrypto, webSignatureCrypto } from '../protocol/signature-crypto.js';
import { pathOf } from '../protocol/signed-content.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import type { AttemptRecord, DeliveryVerdict, OutboxNext, OutboxRecord, Store } from '../store/types.js';
import { attemptAll, createPoller } from './poller.js';
import { createUndiciTransport, type DeliveryTransport } from './transport.js';

export interface SenderOptions {
  store: Store;
  /** The Client-Id deliveries carry (the merchant's client id, as Alipay sends it). */
  clientId: string;
  /** The sender's private key (Alipay's, or the sandbox's). */
  privateKey: CryptoKey | string;
  keyVersion?: string;
  /** Default: Alipay's 0s, 2min, 10min, 10min, 1h, 2h, 6h, 15h. */
  schedule?: RetrySchedule;
  /** `3600` makes an hour of the schedule pass in a second. Default 1. */
  timeScale?: number;
  /** Per-attempt timeout. Default 10 s. */
  timeoutMs?: number;
  /** How much of a response body is read and logged. Default 4 KiB. */
  maxResponseBytes?: number;
  requestTimeStyle?: RequestTimeStyle;
  transport?: DeliveryTransport;
  crypto?: SignatureCrypto;
  clock?: Clock;
  newId?: () => string;
  logger?: Logger;
  /** Worker identity for leases. */
  owner?: string;
  /** Lease length. Default twice the timeout plus 30 s. */
  leaseMs?: number;
  /** Deliveries claimed at once. Default 64. */
  batchSize?: number;
  /** Deliveries in flight at once. Default 32. */
  concurrency?: number;
  /** Poll interval when running. Default 250 ms. */
  pollIntervalMs?: number;
  /** Called after every attempt, e.g. to print it. */
  onAttempt?: (attempt: AttemptRecord, delivery: OutboxRecord, next: OutboxNext) => void;
  /** Fault injection (sandbox only). */
  faults?: DeliveryFaults;
}

/** What a fault injection does to one attempt (the sandbox uses this; production senders never set it). */
export interface AttemptFault {
  /** Sign with a Request-Time this far from now (negative: in the past). */
  requestTimeOffsetMs?: number;
  /** Send a signature that does not verify. */
  corruptSignature?: boolean;
  /** Wait this long before sending. */
  delayMs?: number;
  /** Treat an acknowledgement as a failed delivery. */
  dropAck?: boolean;
}

export interface DeliveryFaults {
  /** Called once per attempt, before signing. */
  next(delivery: OutboxRecord): AttemptFault;
}

export interface EnqueueInput {
  /** A notification object (serialized once), or the exact body to send. */
  notification: Record<string, unknown> | string | Uint8Array;
  /** The merchant's notify URL. */
  to: string;
  schedule?: RetrySchedule;
  /** Extra wait before the first delivery, in real (unscaled) milliseconds. */
  delayMs?: number;
  /**
   * Run the insert through the caller's transaction: anything with `query(text, values)` — a pg client
   * inside BEGIN, or a wrapper around a better-sqlite3 transaction. The row exists only if it commits.
   */
  transaction?: TransactionExecutor;
}

/** The one method the sender needs from a caller's transaction. */
export interface TransactionExecutor {
  query(text: string, values: unknown[]): unknown;
}

export interface Sender {
  enqueue(input: EnqueueInput): Promise<string>;
  /** Claims due deliveries and makes one attempt each. Returns how many were attempted. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  /** Starts a fresh run of deliveries by hand (e.g. after EXHAUSTED). */
  redeliver(id: string): Promise<OutboxRecord>;
  cancel(id: string): Promise<OutboxRecord>;
  get(id: string): Promise<{ delivery: OutboxRecord; attempts: AttemptRecord[] } | undefined>;
  /** Newest deliveries first. */
  list(filter: { status?: OutboxRecord['status'] | undefined; limit: number }): Promise<OutboxRecord[]>;
  /** Closes the transport (not the store). */
  close(): Promise<void>;
}

function typeOf(body: Uint8Array): string | null {
  try {
    const t = (JSON.parse(new TextDecoder().decode(body)) as { authorizationNotifyType?: unknown })
      .authorizationNotifyType;
    return typeof t === 'string' ? t.slice(0, 64) : null;
  } catch {
    return null;
  }
}

/**
 * @example
 * const sender = await createSender({ store, clientId: 'SANDBOX_5YEZ47', privateKey: sandboxKey });
 * await sender.enqueue({ notification: { authorizationNotifyType: 'TOKEN_CANCELED', accessToken, result }, to: notifyUrl });
 * sender.start();
 */
export async function createSender(options: SenderOptions): Promise<Sender> {
  const { store } = options;
  const privateKey =
    typeof options.privateKey === 'string' ? await importPrivateKey(options.privateKey) : options.privateKey;
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? (() => uuidv7(clock.now()));
  const logger = options.logger ?? silentLogger;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new AuthNotifyError('CONFIG_INVALID', `timeScale must be a positive number, got ${timeScale}`);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxResponseBytes = options.maxResponseBytes ?? 4096;
  const leaseMs = options.leaseMs ?? timeoutMs * 2 + 30_000;
  const batchSize = options.batchSize ?? 64;
  const concurrency = options.concurrency ?? 32;
  const pollIntervalMs = options.pollIntervalMs ?? 250;
  const owner = options.owner ?? `sender-${newId()}`;
  const transport = options.transport ?? createUndiciTransport();
  const primitive = options.crypto ?? webSignatureCrypto;

  async function enqueue(input: EnqueueInput): Promise<string> {
    const url = checkHttpUrl(input.to, 'notify URLs', 'http://127.0.0.1:8787/alipay/notify/authorization');
    const body =
      input.notification instanceof Uint8Array
        ? input.notification
        : utf8(
            typeof input.notification === 'string' ? input.notification : JSON.stringify(input.notification),
          );
    const delays = (input.schedule ?? options.schedule ?? ALIPAY_SCHEDULE).delaysMs;
    if (delays.length === 0)
      throw new AuthNotifyError('PARAM_ILLEGAL', 'a schedule needs at least one delivery');
    const schedule = delays.map((d) => Math.round(d / timeScale));
    const id = newId();
    const now = clock.now();
    const row = {
      id,
      targetUrl: url.href,
      clientId: options.clientId,
      keyVersion: options.keyVersion ?? null,
      type: typeOf(body),
      body,
      schedule,
      nextAttemptAt: now + (schedule[0] as number) + (input.delayMs ?? 0),
      createdAt: now,
    };
    if (input.transaction) {
      const { text, values } = store.outboxInsert(row);
      await input.transaction.query(text, values);
    } else {
      await store.enqueueOutbox(row);
      nudge();
    }
    return id;
  }

  async function attempt(delivery: OutboxRecord): Promise<void> {
    const number = delivery.attempts + 1;
    const fault = options.faults?.next(delivery) ?? {};
    if (fault.delayMs) await new Promise((r) => setTimeout(r, fault.delayMs));
    const startedAt = clock.now();
    const requestTime = formatRequestTime(
      startedAt + (fault.requestTimeOffsetMs ?? 0),
      options.requestTimeStyle,
    );
    const signed = await signMessage({
      path: pathOf(delivery.targetUrl),
      clientId: delivery.clientId,
      time: requestTime,
      body: delivery.body,
      privateKey,
      keyVersion: delivery.keyVersion ?? undefined,
      crypto: primitive,
    });
    // A corrupted signature keeps its form (valid base64 of the right length) but not its value.
    const signature = fault.corruptSignature
      ? signed.replace(/signature=(.)/, (_m, c: string) => `signature=${c === 'A' ? 'B' : 'A'}`)
      : signed;
    const result = await transport.deliver({
      url: delivery.targetUrl,
      headers: {
        'Content-Type': JSON_CONTENT_TYPE,
        'Client-Id': delivery.clientId,
        'Request-Time': requestTime,
        Signature: signature,
      },
      body: delivery.body,
      timeoutMs,
      maxResponseBytes,
    });
    const finishedAt = clock.now();
    let verdict: DeliveryVerdict;
    if (result.kind === 'error') verdict = result.verdict;
    else if (result.status >= 300 && result.status < 400) verdict = 'REDIRECT_REFUSED';
    else if (result.status < 200 || result.status >= 300) verdict = 'NOT_2XX';
    else verdict = isAckBody(result.body) ? 'ACKNOWLEDGED' : 'NOT_AN_ACK';
    if (verdict === 'ACKNOWLEDGED' && fault.dropAck) verdict = 'ACK_DROPPED_BY_FAULT';
    const delay = delivery.schedule[number];
    const next: OutboxNext =
      verdict === 'ACKNOWLEDGED'
        ? { status: 'ACKNOWLEDGED' }
        : delay === undefined
          ? { status: 'EXHAUSTED' }
          : { status: 'PENDING', nextAttemptAt: finishedAt + delay };
    const record: AttemptRecord = {
      id: newId(),
      outboxId: delivery.id,
      run: delivery.run,
      number,
      dueAt: delivery.nextAttemptAt,
      startedAt,
      finishedAt,
      requestTime,
      httpStatus: result.kind === 'response' ? result.status : null,
      responseExcerpt: result.kind === 'response' ? result.body : null,
      errorClass: result.kind === 'error' ? result.errorClass : null,
      verdict,
      worker: owner,
    };
    if (!(await store.recordAttempt(record, next, finishedAt))) {
      logger.warn({ deliveryId: delivery.id }, 'lease lost during a delivery; another worker owns it now');
      return;
    }
    logger.info(
      { deliveryId: delivery.id, attempt: number, status: record.httpStatus, verdict, next: next.status },
      'delivery attempt',
    );
    options.onAttempt?.(record, delivery, next);
  }

  async function runOnce(): Promise<number> {
    const due = await store.claimOutbox({ now: clock.now(), limit: batchSize, leaseMs, owner });
    await attemptAll(due, concurrency, attempt, logger, 'delivery attempt');
    return due.length;
  }

  const poller = createPoller({ pass: runOnce, batchSize, pollIntervalMs, logger, name: 'sender' });
  const nudge = () => poller.nudge();

  async function mustGet(id: string): Promise<OutboxRecord> {
    const row = await store.getOutbox(id);
    if (!row) throw new AuthNotifyError('NOT_FOUND', `delivery ${id} does not exist`);
    return row;
  }

  return {
    enqueue,
    runOnce,
    start: poller.start,
    stop: poller.stop,
    async redeliver(id) {
      const current = await mustGet(id);
      const row = await store.redeliverOutbox(id, clock.now());
      if (!row)
        throw new AuthNotifyError(
          'CONFLICT',
          `delivery ${id} is ${current.status}; wait for the attempt in flight`,
        );
      nudge();
      return row;
    },
    async cancel(id) {
      const current = await mustGet(id);
      const row = await store.cancelOutbox(id, clock.now());
      if (!row)
        throw new AuthNotifyError(
          'CONFLICT',
          `delivery ${id} is ${current.status}; only PENDING or EXHAUSTED deliveries can be canceled`,
        );
      return row;
    },
    async get(id) {
      const delivery = await store.getOutbox(id);
      return delivery ? { delivery, attempts: await store.listAttempts(id) } : undefined;
    },
    list: async (filter) => (await store.listOutbox(filter)).items,
    close: () => transport.close(),
  };
}
