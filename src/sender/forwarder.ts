/**
 * Forwarding: delivers the event log to the merchant's own endpoints, signed per Standard Webhooks.
 * A pass turns new events into deliveries for each ACTIVE destination (the store moves each
 * destination's position in the same transaction), then leases due deliveries and makes one attempt
 * each. Leases let several processes share the work; a worker killed mid-attempt leaves a lease that
 * expires, so the event is delayed, never lost, and no delivery runs in two places at once.
 */
import { webhookHeaders } from '../events/standard-webhooks.js';
import { utf8 } from '../protocol/bytes.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import { type Logger, silentLogger } from '../protocol/logger.js';
import type {
  ClaimedDelivery,
  DeliveryAttemptRecord,
  DeliveryNext,
  DestinationSecret,
  ForwardVerdict,
} from '../store/event-types.js';
import type { Store } from '../store/types.js';
import { DEFAULT_DISABLE_AFTER_MS, FORWARD_RETRY_DELAYS_MS, retryDelay } from './forward-schedule.js';
import { attemptAll, createPoller } from './poller.js';
import { createUndiciTransport, type DeliveryTransport } from './transport.js';

export interface ForwarderOptions {
  store: Store;
  /** Opens a destination's sealed secret (the service seals them with its secret key). */
  openSecret: (sealed: string) => Promise<string>;
  clock?: Clock;
  logger?: Logger;
  transport?: DeliveryTransport;
  /** Waits before each attempt (ms). Default: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
  delaysMs?: readonly number[];
  /** Each wait moves by up to this share, at random. Default 0.1. */
  jitter?: number;
  random?: () => number;
  /** `3600` makes an hour of the schedule pass in a second (the sandbox's fast clock). Default 1. */
  timeScale?: number;
  /** A 2xx within this is success. Default 15 s. */
  timeoutMs?: number;
  /** How much of an answer is kept in the attempt log. Default 1 KiB. */
  maxResponseBytes?: number;
  /** A destination failing this long is disabled. Default 5 days. */
  disableAfterMs?: number;
  owner?: string;
  /** Lease on a delivery. Default twice the timeout plus 30 s. */
  leaseMs?: number;
  batchSize?: number;
  concurrency?: number;
  /** Events turned into deliveries per destination and pass. Default 500. */
  fanOutLimit?: number;
  pollIntervalMs?: number;
  /** Called after every attempt (tests, `authnotify dev`'s console). */
  onAttempt?: (attempt: DeliveryAttemptRecord, delivery: ClaimedDelivery, next: DeliveryNext) => void;
}

export interface Forwarder {
  /** Makes deliveries of new events, then one attempt of each due delivery. Answers the attempts made. */
  runOnce(): Promise<number>;
  start(): void;
  stop(): Promise<void>;
  /** New events or destinations: look soon. */
  nudge(): void;
  /** Closes the transport (not the store). */
  close(): Promise<void>;
}

const USER_AGENT = 'authnotify-forwarder/0.1';

/** The secrets that sign now, newest first: a rotated-out secret signs until its overlap ends. */
export function signingSecrets(secrets: readonly DestinationSecret[], now: number): DestinationSecret[] {
  return secrets
    .filter((s) => s.expiresAt === null || s.expiresAt > now)
    .sort((a, b) => b.createdAt - a.createdAt);
}

function verdictOf(result: Awaited<ReturnType<DeliveryTransport['deliver']>>): ForwardVerdict {
  if (result.kind === 'error') return result.verdict;
  if (result.status >= 200 && result.status < 300) return 'DELIVERED';
  return result.status >= 300 && result.status < 400 ? 'REDIRECT_REFUSED' : 'NOT_2XX';
}

/**
 * @example
 * const forwarder = createForwarder({ store, openSecret: (s) => secrets.openText(s) });
 * forwarder.start();
 */
export function createForwarder(options: ForwarderOptions): Forwarder {
  const { store } = options;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0) || !Number.isFinite(timeScale))
    throw new AuthNotifyError('CONFIG_INVALID', `timeScale must be a positive number, got ${timeScale}`);
  const delays = (options.delaysMs ?? FORWARD_RETRY_DELAYS_MS).map((d) => d / timeScale);
  const jitter = options.jitter ?? 0.1;
  const random = options.random ?? Math.random;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const maxResponseBytes = options.maxResponseBytes ?? 1024;
  const disableAfterMs = options.disableAfterMs ?? DEFAULT_DISABLE_AFTER_MS;
  const leaseMs = options.leaseMs ?? timeoutMs * 2 + 30_000;
  const batchSize = options.batchSize ?? 64;
  const concurrency = options.concurrency ?? 16;
  const fanOutLimit = options.fanOutLimit ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 500;
  const owner = options.owner ?? `forwarder-${uuidv7(clock.now())}`;
  const transport = options.transport ?? createUndiciTransport({ connections: 16 });

  async function attempt(delivery: ClaimedDelivery): Promise<void> {
    const number = delivery.attempts + 1;
    const startedAt = clock.now();
    const secrets = await Promise.all(
      signingSecrets(delivery.secrets, startedAt).map((s) => options.openSecret(s.sealed)),
    );
    const body = utf8(delivery.payload);
    const headers = await webhookHeaders({ id: delivery.eventId, at: startedAt, body, secrets });
    const result = await transport.deliver({
      url: delivery.url,
      headers: { ...headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
      body,
      timeoutMs,
      maxResponseBytes,
    });
    const finishedAt = clock.now();
    const verdict = verdictOf(result);
    const delay = verdict === 'DELIVERED' ? undefined : retryDelay(number, delays, jitter, random);
    const next: DeliveryNext =
      verdict === 'DELIVERED'
        ? { status: 'DELIVERED' }
        : delay === undefined
          ? { status: 'EXHAUSTED' }
          : { status: 'PENDING', nextAttemptAt: finishedAt + delay };
    const record: DeliveryAttemptRecord = {
      id: uuidv7(finishedAt),
      deliveryId: delivery.id,
      run: delivery.run,
      number,
      startedAt,
      finishedAt,
      httpStatus: result.kind === 'response' ? result.status : null,
      responseExcerpt: result.kind === 'response' ? result.body : null,
      errorClass: result.kind === 'error' ? result.errorClass : null,
      verdict,
      worker: owner,
    };
    const outcome = await store.events.recordDeliveryAttempt(record, next, finishedAt, disableAfterMs);
    if (!outcome.recorded) {
      logger.warn(
        { deliveryId: delivery.id },
        'lease lost during a forwarded delivery; another worker owns it',
      );
      return;
    }
    const fields = {
      deliveryId: delivery.id,
      eventId: delivery.eventId,
      destinationId: delivery.destinationId,
      attempt: number,
      status: record.httpStatus,
      verdict,
      next: next.status,
    };
    if (next.status === 'EXHAUSTED')
      logger.error(fields, 'forwarded delivery EXHAUSTED; redeliver it from the dashboard or the API');
    else if (verdict !== 'DELIVERED') logger.warn(fields, 'forwarded delivery failed; will retry');
    else logger.debug(fields, 'event forwarded');
    if (outcome.disabled)
      logger.error(
        { destinationId: delivery.destinationId, url: delivery.url },
        'destination DISABLED: every delivery has failed for too long; resume it once it answers again',
      );
    options.onAttempt?.(record, delivery, next);
  }

  async function runOnce(): Promise<number> {
    const now = clock.now();
    const active = (await store.events.listDestinations()).filter((d) => d.status === 'ACTIVE');
    for (const destination of active) await store.events.fanOut(destination.id, fanOutLimit, now);
    // Only ACTIVE destinations' deliveries are claimed: with none, the claim (a write transaction) is skipped.
    if (active.length === 0) return 0;
    const due = await store.events.claimDeliveries({ now: clock.now(), limit: batchSize, leaseMs, owner });
    await attemptAll(due, concurrency, attempt, logger, 'forwarded delivery attempt');
    return due.length;
  }

  const poller = createPoller({ pass: runOnce, batchSize, pollIntervalMs, logger, name: 'forwarder' });
  return { runOnce, ...poller, close: () => transport.close() };
}
