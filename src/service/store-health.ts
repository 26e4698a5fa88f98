/**
 * Whether the store is taking writes, as the notify endpoint last found it. `/readyz` asks the store
 * itself too (a probe write), but a probe can succeed where a notification's insert fails (a full disk
 * with room left in the WAL), so a failed insert keeps the service not ready until an insert succeeds or
 * `holdMs` passes without one (then the probe decides again, so traffic is let back in to try).
 */
import type { ReceiverObserver } from '../receiver/ports.js';

export class StoreHealth {
  readonly #holdMs: number;
  readonly #now: () => number;
  #failedAt: number | undefined;

  constructor(options: { holdMs?: number; now?: () => number } = {}) {
    this.#holdMs = options.holdMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  readonly observer: ReceiverObserver = {
    received: (outcome) => {
      if (outcome === 'unavailable') this.#failedAt = this.#now();
      else if (outcome !== 'rejected') this.#failedAt = undefined;
    },
  };

  /** Why the store is not taking writes, or undefined when nothing says so. */
  problem(): string | undefined {
    if (this.#failedAt === undefined) return undefined;
    const ago = this.#now() - this.#failedAt;
    if (ago >= this.#holdMs) return undefined;
    return `the last notification could not be stored (${Math.round(ago / 1000)} s ago); answering 503 U`;
  }
}
