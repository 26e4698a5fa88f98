/**
 * A `Store` in memory, for tests: no file, no server, no native module, and the same answers as the
 * SQLite and PostgreSQL stores (it passes the same contract suite). Lifecycle events are decided with the
 * same pure lifecycle; a batch is all or nothing. Data lives as long as the object does.
 *
 * @example
 * const receiver = await createReceiver({ clientId, alipayPublicKeys, secretKey, store: createMemoryStore() });
 */

import type {
  AuthorizationRecord,
  ConsultRecord,
  LifecycleContext,
  LifecycleEvent,
} from '../authorization/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import type { EventStore } from '../store/event-types.js';
import { quarantineEventRow } from '../store/event-writes.js';
import { LATEST_SCHEMA_VERSION } from '../store/schema.js';
import {
  type AppliedDue,
  type ApplyEventInput,
  type ApplyEventResult,
  type AttemptRecord,
  type DueRequest,
  INBOX_STATUSES,
  type InboxActivity,
  type InboxAttemptRecord,
  type InboxClaim,
  type InboxFinish,
  type InboxInsertResult,
  type InboxRecord,
  type LifecycleApplication,
  type NewInboxRow,
  type NewOutboxRow,
  type OutboxNext,
  type OutboxRecord,
  type Page,
  type Store,
  type TimelineEntry,
} from '../store/types.js';
import { MemoryAuthorizations } from './memory-authorizations.js';
import { MemoryEvents } from './memory-events.js';
import { MemoryOutbox } from './memory-outbox.js';
import { conflict, copy, counts, due, paged, UndoLog } from './memory-tables.js';

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #inbox = new Map<string, InboxRecord>();
  readonly #byEventKey = new Map<string, string>();
  readonly #settings = new Map<string, string>();
  readonly #attempts: InboxAttemptRecord[] = [];
  /** Lifecycle facts by inbox id (what `applyDue` applies). */
  readonly #facts = new Map<string, string>();
  readonly #log = new UndoLog();
  readonly #events = new MemoryEvents(this.#log, () => this.#open());
  readonly events: EventStore = this.#events;
  readonly #authorizations = new MemoryAuthorizations(this.#inbox, this.#log, this.#events);
  readonly #outbox = new MemoryOutbox();
  #closed = false;

  #open(): void {
    if (this.#closed) throw new AuthNotifyError('STORE_UNAVAILABLE', 'the store is closed');
  }

  /** Runs `fn` all or nothing. */
  #transaction<T>(fn: () => T): T {
    this.#open();
    return this.#log.run(fn);
  }

  async migrate(): Promise<number[]> {
    this.#open();
    return [];
  }
  async schemaVersion(): Promise<number> {
    return LATEST_SCHEMA_VERSION;
  }
  async ping(): Promise<void> {
    this.#open();
  }
  async close(): Promise<void> {
    this.#closed = true;
  }
  async claimSetting(name: string, value: string): Promise<string> {
    this.#open();
    if (!this.#settings.has(name)) this.#settings.set(name, value);
    return this.#settings.get(name) as string;
  }
  async getSetting(name: string): Promise<string | undefined> {
    this.#open();
    return this.#settings.get(name);
  }
  async hasData(): Promise<boolean> {
    this.#open();
    return this.#inbox.size + this.#authorizations.size + this.#outbox.size > 0;
  }

  async insertInbox(row: NewInboxRow): Promise<InboxInsertResult> {
    this.#open();
    const known = this.#byEventKey.get(row.eventKey);
    const existing = known === undefined ? undefined : this.#inbox.get(known);
    if (existing) {
      existing.duplicates += 1;
      existing.lastDuplicateAt = row.receivedAt;
      return { outcome: 'duplicate', id: existing.id, duplicates: existing.duplicates };
    }
    if (this.#inbox.has(row.id)) throw conflict('store the notification');
    this.#events.record(quarantineEventRow(row));
    if (row.facts) this.#facts.set(row.id, row.facts);
    this.#inbox.set(row.id, {
      ...copy(row),
      duplicates: 0,
      attempts: 0,
      lastError: null,
      nextAttemptAt: row.status === 'PENDING' ? row.receivedAt : null,
      leaseOwner: null,
      leasedUntil: null,
      applied: false,
      outcome: null,
      authorizationId: null,
      lastDuplicateAt: null,
      processedAt: null,
      updatedAt: row.receivedAt,
    });
    this.#byEventKey.set(row.eventKey, row.id);
    return { outcome: 'inserted', id: row.id, duplicates: 0 };
  }

  async claimInbox(claim: InboxClaim): Promise<InboxRecord[]> {
    this.#open();
    const left = new Set(claim.leaveDue ?? []);
    const claimable = [...this.#inbox.values()].filter(
      (row) =>
        row.status !== 'PENDING' || row.type === null || !left.has(row.type) || !this.#facts.has(row.id),
    );
    return due(claimable, 'PROCESSING', claim).map((row) => {
      Object.assign(row, {
        status: 'PROCESSING',
        leaseOwner: claim.owner,
        leasedUntil: claim.now + claim.leaseMs,
        attempts: row.attempts + 1,
        updatedAt: claim.now,
      });
      return copy(row);
    });
  }

  #finish(id: string, owner: string, finish: InboxFinish): boolean {
    const row = this.#inbox.get(id);
    if (!row || row.leaseOwner !== owner || row.status !== 'PROCESSING') return false;
    if (finish.status !== 'PROCESSED')
      this.#log.append(this.#attempts, {
        id: uuidv7(finish.now),
        inboxId: id,
        attempt: row.attempts,
        worker: owner,
        error: finish.error,
        outcome: finish.status === 'FAILED' ? 'FAILED' : 'RETRY',
        at: finish.now,
      });
    this.#log.set(this.#inbox, id, {
      ...row,
      status: finish.status,
      leaseOwner: null,
      leasedUntil: null,
      nextAttemptAt: finish.status === 'PENDING' ? finish.nextAttemptAt : null,
      lastError: finish.status === 'PROCESSED' ? null : finish.error,
      processedAt: finish.status === 'PROCESSED' ? finish.now : null,
      updatedAt: finish.now,
    });
    return true;
  }

  async finishInbox(id: string, owner: string, finish: InboxFinish): Promise<boolean> {
    return this.#transaction(() => this.#finish(id, owner, finish));
  }
  async applyDue(request: DueRequest): Promise<AppliedDue[]> {
    return this.#transaction(() => this.#authorizations.applyDue(request, this.#facts));
  }
  async finishInboxMany(
    items: readonly { id: string; owner: string; finish: InboxFinish }[],
  ): Promise<boolean[]> {
    return this.#transaction(() => items.map((item) => this.#finish(item.id, item.owner, item.finish)));
  }
  async listInboxAttempts(inboxId: string): Promise<InboxAttemptRecord[]> {
    this.#open();
    return this.#attempts.filter((a) => a.inboxId === inboxId).map(copy);
  }
  async renewInboxLeases(ids: readonly string[], owner: string, leasedUntil: number): Promise<string[]> {
    this.#open();
    return ids.filter((id) => {
      const row = this.#inbox.get(id);
      if (!row || row.leaseOwner !== owner || row.status !== 'PROCESSING') return false;
      row.leasedUntil = leasedUntil;
      return true;
    });
  }
  async getInbox(id: string): Promise<InboxRecord | undefined> {
    this.#open();
    const row = this.#inbox.get(id);
    return row && copy(row);
  }
  async listInbox(filter: Parameters<Store['listInbox']>[0]): Promise<Page<InboxRecord>> {
    this.#open();
    const keep = (r: InboxRecord) =>
      (!filter.status || r.status === filter.status) &&
      (!filter.type || r.type === filter.type) &&
      (!filter.outcome || r.outcome === filter.outcome) &&
      (filter.receivedFrom === undefined || r.receivedAt >= filter.receivedFrom) &&
      (filter.receivedTo === undefined || r.receivedAt < filter.receivedTo);
    return paged(this.#inbox.values(), filter, (r) => r.receivedAt, keep);
  }
  async inboxSince(...[after, until, limit]: Parameters<Store['inboxSince']>): Promise<InboxRecord[]> {
    this.#open();
    const [time, id] = after ?? [-1, ''];
    return [...this.#inbox.values()]
      .filter((r) => (r.receivedAt > time || (r.receivedAt === time && r.id > id)) && r.receivedAt <= until)
      .sort((a, b) => a.receivedAt - b.receivedAt || (a.id < b.id ? -1 : 1))
      .slice(0, limit)
      .map(copy);
  }
  async requeueInbox(
    ...[id, now, reclassified]: Parameters<Store['requeueInbox']>
  ): Promise<InboxRecord | undefined> {
    this.#open();
    const row = this.#inbox.get(id);
    if (!row) return undefined;
    const base = {
      status: 'PENDING' as const,
      attempts: 0,
      lastError: null,
      nextAttemptAt: now,
      updatedAt: now,
    };
    if (reclassified) {
      if (row.status !== 'QUARANTINED') return undefined;
      const holder = this.#byEventKey.get(reclassified.eventKey);
      if (holder !== undefined && holder !== id) throw conflict('requeue an inbox row');
      this.#byEventKey.delete(row.eventKey);
      this.#byEventKey.set(reclassified.eventKey, id);
      Object.assign(row, base, { ...reclassified, applied: false, outcome: null });
    } else {
      if (row.status !== 'FAILED' && row.status !== 'QUARANTINED') return undefined;
      Object.assign(row, base);
    }
    return copy(row);
  }
  async inboxActivity(since: number, bucketMs: number): Promise<InboxActivity[]> {
    this.#open();
    const counts = new Map<string, InboxActivity>();
    for (const r of this.#inbox.values()) {
      if (r.receivedAt < since) continue;
      const bucket = Math.floor(r.receivedAt / bucketMs) * bucketMs;
      const key = `${bucket}|${r.status}`;
      const entry = counts.get(key) ?? { bucket, status: r.status, count: 0 };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()].sort(
      (a, b) => a.bucket - b.bucket || (a.status < b.status ? -1 : a.status > b.status ? 1 : 0),
    );
  }
  async replayInbox(id: string, now: number): Promise<InboxRecord | undefined> {
    this.#open();
    const row = this.#inbox.get(id);
    if (row?.status !== 'PROCESSED') return undefined;
    Object.assign(row, {
      status: 'PENDING',
      attempts: 0,
      lastError: null,
      nextAttemptAt: now,
      processedAt: null,
      updatedAt: now,
    });
    return copy(row);
  }
  async countInbox(): Promise<Record<InboxRecord['status'], number>> {
    this.#open();
    return counts(INBOX_STATUSES, this.#inbox.values());
  }

  async applyEvent(
    input: ApplyEventInput,
    event: LifecycleEvent,
    ctx: LifecycleContext,
  ): Promise<ApplyEventResult> {
    return this.#transaction(() => this.#authorizations.apply(input, event, ctx));
  }
  async applyEvents(events: readonly LifecycleApplication[]): Promise<ApplyEventResult[]> {
    return this.#transaction(() =>
      events.map((e) => this.#authorizations.apply(e.input, e.event, e.ctx, e.finish)),
    );
  }

  async claimCodeRedemption(authCode: string, now: number): Promise<boolean> {
    this.#open();
    return this.#authorizations.claimCode(authCode, now);
  }
  async releaseCodeRedemption(authCode: string): Promise<void> {
    this.#open();
    this.#authorizations.releaseCode(authCode);
  }
  async listExpiring(before: number, limit: number): Promise<AuthorizationRecord[]> {
    this.#open();
    return this.#authorizations.listExpiring(before, limit);
  }
  async enqueueOutbox(row: NewOutboxRow): Promise<void> {
    this.#open();
    this.#outbox.enqueue(row);
  }
  outboxInsert(): { text: string; values: unknown[] } {
    return this.#outbox.insertSql();
  }
  async claimOutbox(claim: InboxClaim): Promise<OutboxRecord[]> {
    this.#open();
    return this.#outbox.claim(claim);
  }
  async recordAttempt(attempt: AttemptRecord, next: OutboxNext, now: number): Promise<boolean> {
    this.#open();
    return this.#outbox.recordAttempt(attempt, next, now);
  }
  async getOutbox(id: string): Promise<OutboxRecord | undefined> {
    this.#open();
    return this.#outbox.get(id);
  }
  async listOutbox(filter: Parameters<Store['listOutbox']>[0]): Promise<Page<OutboxRecord>> {
    this.#open();
    return this.#outbox.list(filter);
  }
  async listAttempts(outboxId: string): Promise<AttemptRecord[]> {
    this.#open();
    return this.#outbox.listAttempts(outboxId);
  }
  async countOutbox(): Promise<Record<OutboxRecord['status'], number>> {
    this.#open();
    return this.#outbox.count();
  }
  async redeliverOutbox(id: string, now: number): Promise<OutboxRecord | undefined> {
    this.#open();
    return this.#outbox.redeliver(id, now);
  }
  async cancelOutbox(id: string, now: number): Promise<OutboxRecord | undefined> {
    this.#open();
    return this.#outbox.cancel(id, now);
  }
  async saveConsult(
    consult: ConsultRecord,
    authorization: Omit<AuthorizationRecord, 'version'>,
  ): Promise<void> {
    this.#open();
    this.#authorizations.saveConsult(consult, authorization);
  }
  async getAuthorization(id: string): Promise<AuthorizationRecord | undefined> {
    this.#open();
    return this.#authorizations.get(id);
  }
  async getConsult(authState: string): Promise<ConsultRecord | undefined> {
    this.#open();
    return this.#authorizations.getConsult(authState);
  }
  async listAuthorizations(
    filter: Parameters<Store['listAuthorizations']>[0],
  ): Promise<Page<AuthorizationRecord>> {
    this.#open();
    return this.#authorizations.list(filter);
  }
  async timeline(authorizationId: string): Promise<TimelineEntry[]> {
    this.#open();
    return this.#authorizations.timeline(authorizationId);
  }
}

/** A new, empty in-memory store. */
export function createMemoryStore(): MemoryStore {
  return new MemoryStore();
}
