/**
 * Counts rejected requests per source and refuses a source that keeps failing, so an admin token cannot be
 * guessed at speed. A fixed window per source; memory is bounded (oldest sources are forgotten first).
 */
export interface RejectionLimiterOptions {
  /** Rejections allowed per source per window. Default 20. */
  limit?: number;
  /** Window length. Default 60 s. */
  windowMs?: number;
  /** Sources remembered at once. Default 10 000. */
  maxSources?: number;
  now?: () => number;
}

export class RejectionLimiter {
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxSources: number;
  readonly #now: () => number;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(options: RejectionLimiterOptions = {}) {
    this.#limit = options.limit ?? 20;
    this.#windowMs = options.windowMs ?? 60_000;
    this.#maxSources = options.maxSources ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** Seconds until the source may try again, or 0 when it is not limited. */
  retryAfter(source: string): number {
    const w = this.#windows.get(source);
    if (!w) return 0;
    const elapsed = this.#now() - w.start;
    if (elapsed >= this.#windowMs) {
      this.#windows.delete(source);
      return 0;
    }
    return w.count >= this.#limit ? Math.ceil((this.#windowMs - elapsed) / 1000) : 0;
  }

  /** Records a rejection for the source. */
  reject(source: string): void {
    const now = this.#now();
    const w = this.#windows.get(source);
    if (w && now - w.start < this.#windowMs) {
      w.count++;
      return;
    }
    this.#windows.delete(source);
    if (this.#windows.size >= this.#maxSources) {
      const oldest = this.#windows.keys().next().value;
      if (oldest !== undefined) this.#windows.delete(oldest);
    }
    this.#windows.set(source, { start: now, count: 1 });
  }
}
