/** The pieces the in-memory store's tables share: copies, pages, conflicts, leases and an undo log. */
import { AuthNotifyError } from '../protocol/errors.js';
import { countsByStatus, decodeCursor, encodeCursor, page } from '../store/rows.js';
import type { InboxClaim, Page } from '../store/types.js';

export function copy<T>(value: T): T {
  return structuredClone(value);
}

export function conflict(what: string): AuthNotifyError {
  return new AuthNotifyError('CONFLICT', `the store could not ${what}: a row with the same key exists`);
}

/** Keyset pagination newest first over (time, id), as the SQL stores page. */
export function paged<T extends { id: string }>(
  rows: Iterable<T>,
  filter: { limit: number; cursor?: string | undefined },
  timeOf: (row: T) => number,
  keep: (row: T) => boolean,
): Page<T> {
  const cursor = decodeCursor(filter.cursor);
  const sorted = [...rows]
    .filter(keep)
    .filter((r) => !cursor || timeOf(r) < cursor[0] || (timeOf(r) === cursor[0] && r.id < cursor[1]))
    .sort((a, b) => timeOf(b) - timeOf(a) || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return page(sorted.slice(0, filter.limit + 1).map(copy), filter.limit, (r) =>
    encodeCursor(timeOf(r), r.id),
  );
}

/** Counts rows by status, every status present (0 when none). */
export function counts<S extends string>(
  statuses: readonly S[],
  rows: Iterable<{ status: S }>,
): Record<S, number> {
  const n = new Map<S, number>();
  for (const r of rows) n.set(r.status, (n.get(r.status) ?? 0) + 1);
  return countsByStatus(
    statuses,
    [...n].map(([status, count]) => ({ status, n: count })),
  );
}

/** PENDING rows due (by due time) and rows `busy` whose lease expired (by expiry), `limit` of each. */
export function due<T extends { status: string; nextAttemptAt: number | null; leasedUntil: number | null }>(
  rows: Iterable<T>,
  busy: string,
  claim: InboxClaim,
): T[] {
  const all = [...rows];
  const pick = (keep: (r: T) => boolean, at: (r: T) => number) =>
    all
      .filter(keep)
      .sort((a, b) => at(a) - at(b))
      .slice(0, claim.limit);
  return [
    ...pick(
      (r) => r.status === 'PENDING' && (r.nextAttemptAt ?? Infinity) <= claim.now,
      (r) => r.nextAttemptAt ?? 0,
    ),
    ...pick(
      (r) => r.status === busy && (r.leasedUntil ?? Infinity) < claim.now,
      (r) => r.leasedUntil ?? 0,
    ),
  ];
}

/** Transactions over plain maps: changes made through `set`/`push` while one runs are undone if it throws. */
export class UndoLog {
  #steps: (() => void)[] | undefined;

  run<T>(fn: () => T): T {
    const steps: (() => void)[] = [];
    this.#steps = steps;
    try {
      return fn();
    } catch (error) {
      for (const step of steps.reverse()) step();
      throw error;
    } finally {
      this.#steps = undefined;
    }
  }

  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const before = map.get(key);
    this.#steps?.push(() => (had ? map.set(key, before as V) : map.delete(key)));
    map.set(key, value);
  }

  append<T>(list: T[], item: T): void {
    list.push(item);
    this.#steps?.push(() => list.splice(list.indexOf(item), 1));
  }
}
