/** The in-memory store's outbox: deliveries, their leases and their attempt log. */
import { AuthNotifyError } from '../protocol/errors.js';
import {
  type AttemptRecord,
  type InboxClaim,
  type NewOutboxRow,
  OUTBOX_STATUSES,
  type OutboxNext,
  type OutboxRecord,
  type Page,
  type Store,
} from '../store/types.js';
import { conflict, copy, counts, due, paged } from './memory-tables.js';

export class MemoryOutbox {
  readonly #rows = new Map<string, OutboxRecord>();
  readonly #attempts: AttemptRecord[] = [];

  get size(): number {
    return this.#rows.size;
  }

  enqueue(row: NewOutboxRow): void {
    if (this.#rows.has(row.id)) throw conflict('enqueue a delivery');
    this.#rows.set(row.id, {
      ...copy(row),
      schedule: [...row.schedule],
      status: 'PENDING',
      run: 1,
      attempts: 0,
      leaseOwner: null,
      leasedUntil: null,
      updatedAt: row.createdAt,
      acknowledgedAt: null,
    });
  }
  insertSql(): { text: string; values: unknown[] } {
    throw new AuthNotifyError('CONFIG_INVALID', 'the in-memory store has no SQL to run in your transaction', {
      hint: 'Call enqueueOutbox, or use the SQLite or PostgreSQL store for transactional enqueueing.',
    });
  }
  claim(claim: InboxClaim): OutboxRecord[] {
    return due(this.#rows.values(), 'DELIVERING', claim).map((row) => {
      Object.assign(row, {
        status: 'DELIVERING',
        leaseOwner: claim.owner,
        leasedUntil: claim.now + claim.leaseMs,
        updatedAt: claim.now,
      });
      return copy(row);
    });
  }
  recordAttempt(attempt: AttemptRecord, next: OutboxNext, now: number): boolean {
    const row = this.#rows.get(attempt.outboxId);
    if (!row || row.leaseOwner !== attempt.worker || row.status !== 'DELIVERING' || row.run !== attempt.run)
      return false;
    Object.assign(row, {
      status: next.status,
      attempts: attempt.number,
      nextAttemptAt: next.status === 'PENDING' ? next.nextAttemptAt : null,
      acknowledgedAt: next.status === 'ACKNOWLEDGED' ? attempt.finishedAt : null,
      leaseOwner: null,
      leasedUntil: null,
      updatedAt: now,
    });
    this.#attempts.push(copy(attempt));
    return true;
  }
  get(id: string): OutboxRecord | undefined {
    const row = this.#rows.get(id);
    return row && copy(row);
  }
  list(filter: Parameters<Store['listOutbox']>[0]): Page<OutboxRecord> {
    return paged(
      this.#rows.values(),
      filter,
      (r) => r.createdAt,
      (r) => !filter.status || r.status === filter.status,
    );
  }
  listAttempts(outboxId: string): AttemptRecord[] {
    return this.#attempts
      .filter((a) => a.outboxId === outboxId)
      .sort((a, b) => a.run - b.run || a.number - b.number)
      .map(copy);
  }
  count(): Record<OutboxRecord['status'], number> {
    return counts(OUTBOX_STATUSES, this.#rows.values());
  }
  redeliver(id: string, now: number): OutboxRecord | undefined {
    const row = this.#rows.get(id);
    if (!row || row.status === 'DELIVERING') return undefined;
    Object.assign(row, {
      status: 'PENDING',
      run: row.run + 1,
      attempts: 0,
      nextAttemptAt: now,
      acknowledgedAt: null,
      leaseOwner: null,
      leasedUntil: null,
      updatedAt: now,
    });
    return copy(row);
  }
  cancel(id: string, now: number): OutboxRecord | undefined {
    const row = this.#rows.get(id);
    if (!row || (row.status !== 'PENDING' && row.status !== 'EXHAUSTED')) return undefined;
    Object.assign(row, { status: 'CANCELED', nextAttemptAt: null, updatedAt: now });
    return copy(row);
  }
}
