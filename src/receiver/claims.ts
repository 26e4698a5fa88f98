/**
 * The processor's claims: when a pass claims, and keeping the leases of a pass that runs long.
 */
import type { Clock } from '../protocol/clock.js';
import type { Logger } from '../protocol/logger.js';
import type { Store } from '../store/types.js';

/**
 * Renews a pass's leases every third of the lease while it runs, so that slow handlers do not let
 * another worker claim the same rows (which would run them again). A row the store skips (finished, or
 * locked by this pass's own transaction at that moment) is simply not renewed this time; a lease truly
 * lost is reported when the pass finishes. Stop it with clearInterval.
 */
export function keepLeases(
  deps: { store: Store; clock: Clock; logger: Logger },
  ids: string[],
  owner: string,
  leaseMs: number,
): ReturnType<typeof setInterval> {
  const { store, clock, logger } = deps;
  const timer = setInterval(
    () => {
      store
        .renewInboxLeases(ids, owner, clock.now() + leaseMs)
        .catch((error: unknown) =>
          logger.warn({ err: (error as Error).message }, 'could not renew inbox leases'),
        );
    },
    Math.max(1, Math.floor(leaseMs / 3)),
  );
  timer.unref?.();
  return timer;
}

/**
 * When a processor pass claims. The store applies the rows of the types with nothing after their
 * lifecycle itself (`applyDue`); a claim is for the rest — rows with handlers or an authCode to redeem,
 * rows stored without facts, retries coming due and expired leases. Under a load of store-applied rows a
 * claim finds nothing nearly every time, and an empty claim is not free: on PostgreSQL it walks the
 * queue's index past every row the store is about to apply (a fifth of the server's time in the receiver
 * bench). So a pass claims only when
 * - a row that needs a claim was stored or requeued here (`want`, from the processor's nudge),
 * - the last claim found rows (more may be waiting),
 * - the store could not apply its rows this pass (they are claimed instead),
 * - or `intervalMs` has passed since the last claim: rows stored by other processes, retries whose
 *   time has come and expired leases are found within one poll interval, whatever the load.
 *
 * The interval is measured on the monotonic clock, as the poll timer itself is: it paces the work, it
 * decides nothing about a row's due time (the store's claim compares that with the injected clock).
 */
export class ClaimPolicy {
  readonly #intervalMs: number;
  #wanted = true;
  #lastFound = false;
  #lastAt = Number.NEGATIVE_INFINITY;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** A row that only a claim will process is waiting. */
  want(): void {
    this.#wanted = true;
  }

  /** Whether this pass claims; `storeApplies` is false when no type is left to the store this pass. */
  shouldClaim(storeApplies: boolean): boolean {
    return (
      !storeApplies || this.#wanted || this.#lastFound || performance.now() - this.#lastAt >= this.#intervalMs
    );
  }

  /** Call as the claim starts (a `want` during it is kept for the next pass) … */
  claiming(): void {
    this.#wanted = false;
    this.#lastAt = performance.now();
  }

  /** … and with what it found. */
  claimed(found: number): void {
    this.#lastFound = found > 0;
  }
}
