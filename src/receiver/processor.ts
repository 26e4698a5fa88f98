/**
 * Applies inbox rows after the acknowledgement (DESIGN.md §2.1 step 6): lifecycle first (one transaction,
 * idempotent per row), then the application's handlers, at least once, with backoff, until FAILED. Rows are
 * leased; a crashed worker's lease expires and another worker (or the restarted one) takes the row again.
 */
import type { Clock } from '../protocol/clock.js';
import { maskLoginId } from '../protocol/mask.js';
import { type Notification, parseNotification } from '../protocol/notification.js';
import type { InboxRecord, Store } from '../store/types.js';
import { type HandlerRegistry, type NotificationEvent, toAuthorizationView } from './handlers.js';
import { decideLifecycle, type LifecycleEvent } from './lifecycle.js';
import type { ApplyTokenPort, Logger, ReceiverObserver } from './ports.js';
import type { Secrets } from './secrets.js';

export interface ProcessorOptions {
  /** Attempts before a row is FAILED. Default 8. */
  maxAttempts?: number;
  /** Lease length; a row whose worker dies is retried after it. Default 60 s. */
  leaseMs?: number;
  /** Rows claimed at once. Default 64. */
  batchSize?: number;
  /** How often to look for due rows when nothing nudges. Default 1 s. */
  pollIntervalMs?: number;
  /** Wait before retry n (1-based). Default 1 s, 2 s, 4 s … capped at 10 min. */
  backoffMs?: (attempt: number) => number;
  /** Worker identity for leases. Default a random id. */
  owner?: string;
}

export interface ProcessorDeps {
  store: Store;
  clock: Clock;
  newId: () => string;
  secrets: Secrets;
  handlers: HandlerRegistry;
  logger: Logger;
  observer: ReceiverObserver;
  acceptUnknownAuthState: boolean;
  applyToken: ApplyTokenPort | undefined;
}

export const defaultBackoff = (attempt: number): number => Math.min(1000 * 2 ** (attempt - 1), 600_000);

export class InboxProcessor {
  readonly #deps: ProcessorDeps;
  readonly #maxAttempts: number;
  readonly #leaseMs: number;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #backoff: (attempt: number) => number;
  readonly owner: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #active: Promise<number> | undefined;
  #nudged = false;

  constructor(deps: ProcessorDeps, options: ProcessorOptions = {}) {
    this.#deps = deps;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#batchSize = options.batchSize ?? 64;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#backoff = options.backoffMs ?? defaultBackoff;
    this.owner = options.owner ?? `worker-${deps.newId()}`;
  }

  /** Starts polling; `nudge()` makes it look right away. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule(0);
  }

  async stop(): Promise<void> {
    this.#running = false;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#active?.catch(() => undefined);
  }

  /** New work was stored: look for it soon without waiting for the poll interval. */
  nudge(): void {
    if (!this.#running || this.#nudged) return;
    this.#nudged = true;
    setImmediate(() => {
      this.#nudged = false;
      if (!this.#active) this.#schedule(0);
    });
  }

  #schedule(delay: number): void {
    if (!this.#running) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#loop(), delay);
    this.#timer.unref?.();
  }

  async #loop(): Promise<void> {
    if (this.#active) return;
    let processed = 0;
    try {
      this.#active = this.runOnce();
      processed = await this.#active;
    } catch (error) {
      this.#deps.logger.error({ err: (error as Error).message }, 'inbox processor pass failed; retrying');
    } finally {
      this.#active = undefined;
    }
    // A full batch means more may be waiting.
    this.#schedule(processed >= this.#batchSize ? 0 : this.#pollIntervalMs);
  }

  /** Claims and processes one batch of due rows. Returns how many were claimed. */
  async runOnce(): Promise<number> {
    const { store, clock } = this.#deps;
    const rows = await store.claimInbox({
      now: clock.now(),
      limit: this.#batchSize,
      leaseMs: this.#leaseMs,
      owner: this.owner,
    });
    for (const row of rows) await this.#process(row);
    return rows.length;
  }

  /** Processes until nothing is due (tests and shutdown). Returns the number of rows processed. */
  async drain(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await this.runOnce();
      total += n;
      if (n === 0) return total;
    }
  }

  async #process(row: InboxRecord): Promise<void> {
    const { store, clock, logger, observer } = this.#deps;
    try {
      const notification = await this.#notificationOf(row);
      const applied = await this.#apply(row, notification);
      const event = {
        id: row.id,
        type: notification.authorizationNotifyType,
        notification,
        receivedAt: row.receivedAt,
        outcome: applied.outcome,
        authorization: applied.authorization,
      } as NotificationEvent;
      await this.#deps.handlers.run(event, { attempt: row.attempts });
      if (!(await store.finishInbox(row.id, this.owner, { status: 'PROCESSED', now: clock.now() }))) {
        logger.warn({ inboxId: row.id }, 'lease lost before finishing; another worker owns the row now');
      }
      observer.processed?.('processed', row.type);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const now = clock.now();
      if (row.attempts >= this.#maxAttempts) {
        await store
          .finishInbox(row.id, this.owner, { status: 'FAILED', now, error: message })
          .catch(() => false);
        logger.error(
          { inboxId: row.id, attempts: row.attempts, err: message },
          'notification processing FAILED; reprocess it from the inbox',
        );
        observer.processed?.('failed', row.type);
      } else {
        const nextAttemptAt = now + this.#backoff(row.attempts);
        await store
          .finishInbox(row.id, this.owner, { status: 'PENDING', now, nextAttemptAt, error: message })
          .catch(() => false);
        logger.warn(
          { inboxId: row.id, attempts: row.attempts, err: message },
          'notification processing failed; will retry',
        );
        observer.processed?.('retry', row.type);
      }
    }
  }

  async #notificationOf(row: InboxRecord): Promise<Notification> {
    const body = await this.#deps.secrets.open(row.rawBody);
    const outcome = parseNotification(body);
    if (outcome.status !== 'valid') throw new Error(`stored body no longer parses (${outcome.status})`);
    return outcome.notification;
  }

  async #apply(row: InboxRecord, n: Notification) {
    const { store, clock, newId, secrets } = this.#deps;
    const user = {
      userId: n.userId,
      userLoginIdMasked: maskLoginId(n.userLoginId),
      authClientId: n.authClientId,
    };
    let event: LifecycleEvent;
    let lookup: { authState?: string; authCode?: string; tokenHash?: string };
    switch (n.authorizationNotifyType) {
      case 'AUTHCODE_CREATED':
        event = {
          kind: 'AUTHCODE_CREATED',
          authCode: n.authCode,
          authState: n.authState,
          source: 'notification',
          ...user,
        };
        lookup = { authState: n.authState, authCode: n.authCode };
        break;
      case 'TOKEN_CREATED': {
        const tokenHash = await secrets.tokenHash(n.accessToken);
        event = { kind: 'TOKEN_CREATED', tokenHash, authState: n.authState, source: 'notification', ...user };
        lookup = { authState: n.authState, tokenHash };
        break;
      }
      case 'TOKEN_CANCELED': {
        const tokenHash = await secrets.tokenHash(n.accessToken);
        event = { kind: 'TOKEN_CANCELED', tokenHash, reason: n.reason };
        lookup = { tokenHash };
        break;
      }
    }
    const now = clock.now();
    const ctx = {
      now,
      newId: newId(),
      inboxId: row.id,
      acceptUnknownAuthState: this.#deps.acceptUnknownAuthState,
      redeemCodes: this.#deps.applyToken !== undefined,
    };
    const result = await store.applyEvent(
      { lookup, inbox: { id: row.id, owner: this.owner }, timelineId: newId(), now },
      (snapshot) => decideLifecycle(event, snapshot, ctx),
    );
    if (result.decision.outcome === 'UNKNOWN_AUTH_STATE' && !result.alreadyApplied) {
      this.#deps.logger.warn(
        { inboxId: row.id, type: n.authorizationNotifyType },
        'authState matches no consult: flagged, authCode not redeemed',
      );
    }
    if (
      result.redeemed &&
      this.#deps.applyToken &&
      n.authorizationNotifyType === 'AUTHCODE_CREATED' &&
      result.authorization
    ) {
      await this.#deps.applyToken.redeem({ authCode: n.authCode, authorizationId: result.authorization.id });
    }
    return {
      outcome: result.decision.outcome,
      authorization: result.authorization ? toAuthorizationView(result.authorization) : undefined,
    };
  }
}
