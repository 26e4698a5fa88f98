/**
 * Applies inbox rows after the acknowledgement (DESIGN.md §2.1 step 6): lifecycle first (one transaction
 * per batch, idempotent per row), then the application's handlers, at least once, with backoff, until
 * FAILED. Rows are leased; a crashed worker's lease expires and another worker (or the restarted one)
 * takes the row again. Batching keeps the store's commits (each an fsync) per batch, not per row.
 */

import { toAuthorizationView } from '../authorization/view.js';
import type { Clock } from '../protocol/clock.js';
import type { Logger } from '../protocol/logger.js';
import { type Notification, parseNotification } from '../protocol/notification.js';
import type { ApplyEventResult, ClaimedInboxRow, InboxFinish, Store } from '../store/types.js';
import { isStoreUnavailable } from '../store/types.js';
import { ClaimPolicy, keepLeases } from './claims.js';
import type { HandlerRegistry, NotificationEvent } from './handlers.js';
import { type LifecycleStep, lifecycleStep, redeemCode } from './lifecycle-step.js';
import type { ApplyTokenPort, ReceiverObserver } from './ports.js';
import { applyDue, nothingAfterLifecycle, warnUnknownAuthState } from './processor-due.js';
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
  /** How long a nudge waits so a burst becomes one batch. Default 20 ms. */
  nudgeDelayMs?: number;
  /** Wait before retry n (1-based). Default 1 s, 2 s, 4 s … capped at 10 min. */
  backoffMs?: (attempt: number) => number;
  /** Worker identity for leases. Default a random id. */
  owner?: string;
  /**
   * Passes run at once, each with its own claim (leases keep them apart). Default 1. More overlaps one
   * pass's store round trips with another's work: worth it when the store is a network or thread away
   * (PostgreSQL, the threaded SQLite store), not for the in-thread SQLite store.
   */
  concurrency?: number;
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

interface Work {
  row: ClaimedInboxRow;
  notification?: Notification;
  step?: LifecycleStep;
  applied?: ApplyEventResult | undefined;
  error?: unknown;
}

type Outcome = 'processed' | 'retry' | 'failed';

/** Claim batches the store applies itself per pass: no lease, no handler, so a larger one only saves statements. */
const DUE_BATCHES = 4;

/** The longest wait between passes while the store keeps failing. */
const MAX_FAILURE_DELAY_MS = 10_000;

export class InboxProcessor {
  readonly #deps: ProcessorDeps;
  readonly #maxAttempts: number;
  readonly #leaseMs: number;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #concurrency: number;
  readonly #nudgeDelayMs: number;
  readonly #backoff: (attempt: number) => number;
  readonly owner: string;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running = false;
  #active: Promise<number> | undefined;
  #nudged = false;
  #again = false;
  /** Passes failed in a row (the store unreachable): the next pass waits longer, up to MAX_FAILURE_DELAY_MS. */
  #failures = 0;
  /**
   * Rows this worker claimed but could not finish because the store failed mid-pass. They are released
   * (back to PENDING, due now) as soon as the store answers again, instead of waiting out their leases.
   */
  readonly #unfinished = new Set<string>();
  readonly #claims: ClaimPolicy;

  constructor(deps: ProcessorDeps, options: ProcessorOptions = {}) {
    this.#deps = deps;
    this.#maxAttempts = options.maxAttempts ?? 8;
    this.#leaseMs = options.leaseMs ?? 60_000;
    this.#batchSize = options.batchSize ?? 64;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
    this.#nudgeDelayMs = options.nudgeDelayMs ?? 20;
    this.#backoff = options.backoffMs ?? defaultBackoff;
    this.owner = options.owner ?? `worker-${deps.newId()}`;
    this.#claims = new ClaimPolicy(this.#pollIntervalMs);
  }

  /** Starts polling; `nudge()` makes it look soon. */
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

  /**
   * New work was stored: look for it shortly, without waiting for the poll interval. `stored` says what
   * was stored, so that a row the store applies itself does not cost a claim; without it (a requeue, a
   * replay) the next pass claims.
   */
  nudge(stored?: { type: string | null; facts: boolean }): void {
    const storeApplies = stored?.facts === true && stored.type !== null;
    if (!storeApplies || !nothingAfterLifecycle(this.#deps, stored.type as string)) this.#claims.want();
    if (!this.#running || this.#nudged) return;
    this.#nudged = true;
    // The short delay lets a burst of notifications become one batch.
    setTimeout(() => {
      this.#nudged = false;
      // During a pass the new rows may be past its claim: look again as soon as it ends.
      if (this.#active) this.#again = true;
      else this.#schedule(0);
    }, this.#nudgeDelayMs).unref?.();
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
      this.#active = this.#passes();
      processed = await this.#active;
      this.#failures = 0;
    } catch (error) {
      this.#failures++;
      this.#deps.logger.error(
        { err: (error as Error).message, failures: this.#failures },
        'inbox processor pass failed; retrying',
      );
    } finally {
      this.#active = undefined;
    }
    if (this.#failures > 0) {
      this.#schedule(Math.min(this.#pollIntervalMs * 2 ** (this.#failures - 1), MAX_FAILURE_DELAY_MS));
      return;
    }
    // A full batch means more is waiting: go on at once. A nudge during the pass means new rows: look
    // again after the nudge delay, so that under steady load they arrive as batches rather than one by one
    // (every pass rewrites the pages of the rows it touches, so tiny passes multiply the writes).
    const full = processed >= this.#batchSize;
    const nudged = this.#again;
    this.#again = false;
    this.#schedule(full ? 0 : nudged ? this.#nudgeDelayMs : this.#pollIntervalMs);
  }

  /**
   * Claims and processes one batch of due rows: the lifecycle of the whole batch in one transaction, the
   * handlers row by row, the outcomes in one transaction. Returns how many rows were claimed.
   */
  runOnce(): Promise<number> {
    return this.#pass(true);
  }

  /** One pass; the claim is skipped unless `forceClaim` or the ClaimPolicy says a claim may find rows. */
  async #pass(forceClaim: boolean): Promise<number> {
    const { store, clock } = this.#deps;
    await this.#releaseUnfinished();
    const { applied, leftToStore } = await applyDue(this.#deps, this.#batchSize * DUE_BATCHES, (type) =>
      nothingAfterLifecycle(this.#deps, type),
    );
    if (!forceClaim && !this.#claims.shouldClaim(leftToStore.length > 0)) return applied;
    // The claim leaves alone the rows the store applies itself: leasing them would send their bodies
    // through the long way (open, parse, apply, finish) for nothing. If the store could not apply them,
    // leftToStore is empty and they are claimed.
    this.#claims.claiming();
    const rows = await store.claimInbox({
      now: clock.now(),
      limit: this.#batchSize,
      leaseMs: this.#leaseMs,
      owner: this.owner,
      leaveDue: leftToStore,
    });
    this.#claims.claimed(rows.length);
    if (rows.length === 0) return applied;
    const renewal = keepLeases(
      this.#deps,
      rows.map((r) => r.id),
      this.owner,
      this.#leaseMs,
    );
    try {
      await this.#process(rows);
    } finally {
      clearInterval(renewal);
    }
    return Math.max(applied, rows.length);
  }

  async #process(rows: ClaimedInboxRow[]): Promise<void> {
    const { store, clock, logger, observer } = this.#deps;
    const work: Work[] = [];
    for (const row of rows) {
      try {
        const notification = await this.#notificationOf(row);
        const step = await lifecycleStep(this.#deps, this.owner, row, notification);
        if (nothingAfterLifecycle(this.#deps, notification.authorizationNotifyType))
          step.finish = { owner: this.owner };
        work.push({ row, notification, step });
      } catch (error) {
        work.push({ row, error });
      }
    }
    await this.#applyLifecycle(work);
    const finishes: { id: string; owner: string; finish: InboxFinish }[] = [];
    const outcomes: Outcome[] = [];
    const pending: Work[] = [];
    for (const item of work) {
      // Finished in the lifecycle's own transaction: nothing was left to run for it.
      if (item.applied?.finished === undefined) pending.push(item);
      else if (item.applied.finished) {
        this.#warnUnknown(item);
        observer.processed?.('processed', item.row.type);
      } else
        logger.warn({ inboxId: item.row.id }, 'lease lost before finishing; another worker owns the row now');
    }
    for (const item of pending) {
      const now = clock.now();
      try {
        await this.#afterApply(item);
        finishes.push({ id: item.row.id, owner: this.owner, finish: { status: 'PROCESSED', now } });
        outcomes.push('processed');
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const fields = { inboxId: item.row.id, attempts: item.row.attempts, err: message };
        // The store being unreachable says nothing about the notification: retry it, however often.
        if (item.row.attempts >= this.#maxAttempts && !isStoreUnavailable(error)) {
          finishes.push({
            id: item.row.id,
            owner: this.owner,
            finish: { status: 'FAILED', now, error: message },
          });
          logger.error(fields, 'notification processing FAILED; reprocess it from the inbox');
          outcomes.push('failed');
        } else {
          const nextAttemptAt = now + this.#backoff(item.row.attempts);
          finishes.push({
            id: item.row.id,
            owner: this.owner,
            finish: { status: 'PENDING', now, nextAttemptAt, error: message },
          });
          logger.warn(fields, 'notification processing failed; will retry');
          outcomes.push('retry');
        }
      }
    }
    if (finishes.length === 0) return;
    let finished: boolean[];
    try {
      finished = await store.finishInboxMany(finishes);
    } catch (error) {
      for (const f of finishes) this.#unfinished.add(f.id);
      throw error;
    }
    for (const [i, ok] of finished.entries()) {
      if (!ok)
        logger.warn(
          { inboxId: finishes[i]?.id },
          'lease lost before finishing; another worker owns the row now',
        );
      observer.processed?.(outcomes[i] as Outcome, pending[i]?.row.type ?? null);
    }
  }

  /** Gives back the rows a failed pass left leased to this worker (owner-checked, so never another's). */
  async #releaseUnfinished(): Promise<void> {
    if (this.#unfinished.size === 0) return;
    const ids = [...this.#unfinished];
    const now = this.#deps.clock.now();
    await this.#deps.store.finishInboxMany(
      ids.map((id) => ({
        id,
        owner: this.owner,
        finish: { status: 'PENDING', now, nextAttemptAt: now, error: 'the store failed during processing' },
      })),
    );
    for (const id of ids) this.#unfinished.delete(id);
  }

  /** `concurrency` passes at once; returns the rows claimed by the fullest (a full one means more wait). */
  async #passes(): Promise<number> {
    if (this.#concurrency === 1) return this.#pass(false);
    // allSettled: stop() waits on this, so it must not settle while a pass is still running.
    const results = await Promise.allSettled(
      Array.from({ length: this.#concurrency }, () => this.#pass(false)),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return Math.max(...results.map((r) => (r.status === 'fulfilled' ? r.value : 0)));
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

  async #applyLifecycle(work: Work[]): Promise<void> {
    const ready = work.filter((w) => w.step !== undefined && w.error === undefined);
    if (ready.length === 0) return;
    try {
      const results = await this.#deps.store.applyEvents(ready.map((w) => w.step as LifecycleStep));
      for (const [i, w] of ready.entries()) w.applied = results[i];
    } catch {
      // One bad row must not hold back the others: apply them one by one to find it.
      for (const w of ready) {
        const step = w.step as LifecycleStep;
        try {
          w.applied = await this.#deps.store.applyEvent(step.input, step.event, step.ctx);
        } catch (error) {
          w.error = error;
        }
      }
    }
  }

  #warnUnknown(item: Work): void {
    const { applied, notification: n, row } = item;
    if (applied?.decision.outcome === 'UNKNOWN_AUTH_STATE' && !applied.alreadyApplied)
      warnUnknownAuthState(this.#deps.logger, row.id, n?.authorizationNotifyType ?? null);
  }

  /**
   * While this processor runs, a new row of a type with nothing after its lifecycle may be applied with its
   * insert (NewInboxRow.applyAtReceipt): the same decision, made sooner. Otherwise undefined: it waits.
   */
  appliesAtReceipt(type: string): { acceptUnknownAuthState: boolean } | undefined {
    if (!this.#running || !nothingAfterLifecycle(this.#deps, type)) return undefined;
    return { acceptUnknownAuthState: this.#deps.acceptUnknownAuthState };
  }

  async #afterApply(item: Work): Promise<void> {
    if (item.error !== undefined) throw item.error;
    const { notification: n, applied, row } = item;
    if (!n || !applied) throw new Error('internal: row was neither applied nor failed');
    this.#warnUnknown(item);
    if (
      n.authorizationNotifyType === 'AUTHCODE_CREATED' &&
      applied.authorization?.status === 'CODE_RECEIVED'
    ) {
      await redeemCode(this.#deps, n.authCode, applied.authorization.id);
    }
    const event = {
      id: row.id,
      type: n.authorizationNotifyType,
      notification: n,
      receivedAt: row.receivedAt,
      outcome: applied.decision.outcome,
      authorization: applied.authorization ? toAuthorizationView(applied.authorization) : undefined,
    } as NotificationEvent;
    await this.#deps.handlers.run(event, { attempt: row.attempts });
  }

  async #notificationOf(row: ClaimedInboxRow): Promise<Notification> {
    const body = await this.#deps.secrets.open(row.rawBody);
    const outcome = parseNotification(body);
    if (outcome.status !== 'valid') throw new Error(`stored body no longer parses (${outcome.status})`);
    return outcome.notification;
  }
}
