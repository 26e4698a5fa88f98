/**
 * Group commit: inbox inserts that arrive in the same turn of the event loop share one commit, and each
 * caller is answered when that commit is done. An acknowledgement promises the row is on disk, and every
 * commit costs an fsync (SQLite `synchronous=FULL`) or a WAL flush and a round trip (PostgreSQL), so
 * batching is what lets a durable receiver keep up with load.
 *
 * `commit` may be synchronous (better-sqlite3: the batch is written before `flush` returns) or return a
 * promise (PostgreSQL: one multi-row statement; several batches may be in flight on different connections).
 */
export interface GroupCommitOptions<I, O> {
  /** Writes every item of a batch at once and answers in the same order; throws to fail the whole batch. */
  commit: (items: I[]) => O[] | Promise<O[]>;
  maxBatch?: number;
  onBatch?: (size: number) => void;
  /**
   * Items with the same key never share a batch (a multi-row upsert cannot touch one row twice, and the
   * first copy to arrive should be the one stored), and an item waits while a batch with its key is in
   * flight, so the first to arrive is the first committed.
   */
  keyOf?: (item: I) => string;
  /**
   * Batches committing at once (asynchronous commits). While that many are in flight, new items wait
   * and join the next batch: fewer, larger statements cost the database less per item than many small
   * ones racing for connections. Default: no limit.
   */
  maxInFlight?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<I, O> {
  readonly #commit: (items: I[]) => O[] | Promise<O[]>;
  readonly #maxBatch: number;
  readonly #onBatch: ((size: number) => void) | undefined;
  readonly #keyOf: ((item: I) => string) | undefined;
  readonly #maxInFlight: number;
  readonly #inFlight = new Set<Promise<void>>();
  /** Keys of the batches in flight (with keyOf). */
  readonly #busyKeys = new Set<string>();
  #queue: Pending<I, O>[] = [];
  #scheduled = false;

  constructor(options: GroupCommitOptions<I, O>) {
    this.#commit = options.commit;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#onBatch = options.onBatch;
    this.#keyOf = options.keyOf;
    this.#maxInFlight = options.maxInFlight ?? Number.POSITIVE_INFINITY;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Starts committing everything queued now (synchronous commits are done when it returns). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0 && this.#inFlight.size < this.#maxInFlight) {
      const batch = this.#take();
      if (batch.length === 0) return; // what is left waits for a batch in flight with its key
      let results: O[] | Promise<O[]>;
      try {
        results = this.#commit(batch.map((p) => p.item));
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      if (Array.isArray(results)) {
        this.#answer(batch, results);
        continue;
      }
      const keyOf = this.#keyOf;
      const keys = keyOf ? batch.map((p) => keyOf(p.item)) : [];
      for (const key of keys) this.#busyKeys.add(key);
      const done = results
        .then(
          (out) => this.#answer(batch, out),
          (error: unknown) => {
            for (const p of batch) p.reject(error);
          },
        )
        .finally(() => {
          this.#inFlight.delete(done);
          for (const key of keys) this.#busyKeys.delete(key);
          // What waited for this batch (its keys, or a free slot) goes now.
          if (this.#queue.length > 0) this.flush();
        });
      this.#inFlight.add(done);
    }
  }

  /** Commits what is queued and waits for every batch in flight (shutdown). */
  async drain(): Promise<void> {
    this.flush();
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight);
  }

  #answer(batch: Pending<I, O>[], results: O[]): void {
    this.#onBatch?.(batch.length);
    for (const [i, p] of batch.entries()) p.resolve(results[i] as O);
  }

  /** The next batch: queue order, at most maxBatch; with keyOf no key twice and none in flight. */
  #take(): Pending<I, O>[] {
    const keyOf = this.#keyOf;
    if (!keyOf) return this.#queue.splice(0, this.#maxBatch);
    const batch: Pending<I, O>[] = [];
    const rest: Pending<I, O>[] = [];
    const keys = new Set<string>();
    for (const p of this.#queue) {
      const key = keyOf(p.item);
      if (batch.length < this.#maxBatch && !keys.has(key) && !this.#busyKeys.has(key)) {
        keys.add(key);
        batch.push(p);
      } else rest.push(p);
    }
    this.#queue = rest;
    return batch;
  }
}
