/**
 * Group commit: inbox inserts that arrive in the same turn of the event loop share one transaction, and
 * each caller is answered when that transaction commits. With `synchronous=FULL` every commit is an
 * fsync, so batching is what lets an acknowledged-means-on-disk receiver keep up with load.
 */
export interface GroupCommitOptions<I, O> {
  /** Runs every item of a batch inside one transaction; throws to fail the whole batch. */
  commit: (items: I[]) => O[];
  maxBatch?: number;
  onBatch?: (size: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (value: O) => void;
  reject: (error: unknown) => void;
}

export class GroupCommit<I, O> {
  readonly #commit: (items: I[]) => O[];
  readonly #maxBatch: number;
  readonly #onBatch: ((size: number) => void) | undefined;
  #queue: Pending<I, O>[] = [];
  #scheduled = false;

  constructor(options: GroupCommitOptions<I, O>) {
    this.#commit = options.commit;
    this.#maxBatch = options.maxBatch ?? 512;
    this.#onBatch = options.onBatch;
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

  /** Commits everything queued now. */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      let results: O[];
      try {
        results = this.#commit(batch.map((p) => p.item));
      } catch (error) {
        for (const p of batch) p.reject(error);
        continue;
      }
      this.#onBatch?.(batch.length);
      for (const [i, p] of batch.entries()) p.resolve(results[i] as O);
    }
  }
}
