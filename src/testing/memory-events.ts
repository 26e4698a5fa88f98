/** The in-memory store's event log, destinations and forwarded deliveries (same answers as the SQL stores). */
import { uuidv7 } from '../protocol/ids.js';
import { parsePosition, START_POSITION } from '../store/event-sql.js';
import type {
  ClaimedDelivery,
  DeliveryAttemptRecord,
  DeliveryClaim,
  DeliveryCount,
  DeliveryFilter,
  DeliveryNext,
  DeliveryOutcome,
  DeliveryRecord,
  DestinationChange,
  DestinationRecord,
  EventFeedFilter,
  EventFeedPage,
  EventRecord,
  EventStore,
  NewDestinationRow,
} from '../store/event-types.js';
import type { EventRow } from '../store/event-writes.js';
import type { Page } from '../store/types.js';
import { copy, due, paged, type UndoLog } from './memory-tables.js';

const seqOf = (position: string) => parsePosition(position)[1];

export class MemoryEvents implements EventStore {
  readonly #events: EventRecord[] = [];
  #seq = 0;
  readonly #destinations = new Map<string, DestinationRecord>();
  readonly #deliveries = new Map<string, DeliveryRecord>();
  readonly #attempts: DeliveryAttemptRecord[] = [];
  readonly #log: UndoLog;
  readonly #open: () => void;

  /** `log`: the store's undo log, so that an event goes with its change; `open` throws once closed. */
  constructor(log: UndoLog, open: () => void) {
    this.#log = log;
    this.#open = open;
  }

  /** Writes an event inside the caller's transaction. */
  record(row: EventRow | undefined): void {
    if (!row) return;
    const [id, type, authorizationId, inboxId, payload, createdAt] = row;
    this.#seq += 1;
    const position = `0.${this.#seq}`;
    this.#log.append(this.#events, { id, position, type, authorizationId, inboxId, payload, createdAt });
  }

  async feed(filter: EventFeedFilter): Promise<EventFeedPage> {
    this.#open();
    const after = seqOf(filter.after ?? START_POSITION);
    const types = filter.types && filter.types.length > 0 ? new Set(filter.types) : undefined;
    const items = this.#events
      .filter((e) => seqOf(e.position) > after && (!types || types.has(e.type)))
      .slice(0, filter.limit)
      .map(copy);
    return { items, next: items[items.length - 1]?.position ?? filter.after ?? START_POSITION };
  }

  async head(): Promise<string> {
    this.#open();
    return this.#events[this.#events.length - 1]?.position ?? START_POSITION;
  }

  async get(id: string): Promise<EventRecord | undefined> {
    this.#open();
    const e = this.#events.find((x) => x.id === id);
    return e && copy(e);
  }

  async prune(before: number, limit: number): Promise<number> {
    this.#open();
    const waiting = new Set(
      [...this.#deliveries.values()]
        .filter((d) => d.status === 'PENDING' || d.status === 'DELIVERING')
        .map((d) => d.eventId),
    );
    const gone = this.#events.filter((e) => e.createdAt < before && !waiting.has(e.id)).slice(0, limit);
    const ids = new Set(gone.map((e) => e.id));
    for (const d of [...this.#deliveries.values()]) if (ids.has(d.eventId)) this.#dropDelivery(d.id);
    for (const e of gone) this.#events.splice(this.#events.indexOf(e), 1);
    return gone.length;
  }

  #dropDelivery(id: string): void {
    this.#deliveries.delete(id);
    for (let i = this.#attempts.length - 1; i >= 0; i--)
      if (this.#attempts[i]?.deliveryId === id) this.#attempts.splice(i, 1);
  }

  async createDestination(row: NewDestinationRow): Promise<DestinationRecord> {
    this.#open();
    if (!this.#destinations.has(row.id)) {
      this.#destinations.set(row.id, {
        ...copy(row),
        status: 'ACTIVE',
        disabledReason: null,
        failingSince: null,
        position: await this.head(),
        updatedAt: row.createdAt,
      });
    }
    return copy(this.#destinations.get(row.id) as DestinationRecord);
  }

  async getDestination(id: string): Promise<DestinationRecord | undefined> {
    this.#open();
    const d = this.#destinations.get(id);
    return d && copy(d);
  }

  async listDestinations(): Promise<DestinationRecord[]> {
    this.#open();
    return [...this.#destinations.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map(copy);
  }

  async updateDestination(id: string, change: DestinationChange, now: number) {
    this.#open();
    const d = this.#destinations.get(id);
    if (!d) return undefined;
    const defined = Object.fromEntries(Object.entries(copy(change)).filter(([, v]) => v !== undefined));
    Object.assign(d, defined, { updatedAt: now }, change.status === undefined ? {} : { failingSince: null });
    return copy(d);
  }

  async deleteDestination(id: string): Promise<boolean> {
    this.#open();
    for (const d of [...this.#deliveries.values()]) if (d.destinationId === id) this.#dropDelivery(d.id);
    return this.#destinations.delete(id);
  }

  async fanOut(destinationId: string, limit: number, now: number): Promise<number> {
    this.#open();
    const d = this.#destinations.get(destinationId);
    if (d?.status !== 'ACTIVE') return 0;
    const { items, next } = await this.feed({ after: d.position, limit });
    if (items.length === 0) return 0;
    const wanted = items.filter((e) => d.types === null || d.types.includes(e.type));
    const known = new Set(
      [...this.#deliveries.values()].filter((x) => x.destinationId === destinationId).map((x) => x.eventId),
    );
    for (const e of wanted) {
      if (known.has(e.id)) continue;
      const id = uuidv7(now);
      this.#deliveries.set(id, {
        id,
        eventId: e.id,
        destinationId,
        eventType: e.type,
        eventCreatedAt: e.createdAt,
        status: 'PENDING',
        run: 1,
        attempts: 0,
        nextAttemptAt: now,
        leaseOwner: null,
        leasedUntil: null,
        lastHttpStatus: null,
        lastVerdict: null,
        createdAt: now,
        updatedAt: now,
        deliveredAt: null,
      });
    }
    Object.assign(d, { position: next, updatedAt: now });
    return wanted.length;
  }

  async claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    this.#open();
    const active = [...this.#deliveries.values()].filter(
      (d) => this.#destinations.get(d.destinationId)?.status === 'ACTIVE',
    );
    return due(active, 'DELIVERING', claim)
      .map((d) => {
        Object.assign(d, {
          status: 'DELIVERING',
          leaseOwner: claim.owner,
          leasedUntil: claim.now + claim.leaseMs,
          updatedAt: claim.now,
        });
        const destination = this.#destinations.get(d.destinationId) as DestinationRecord;
        const event = this.#events.find((e) => e.id === d.eventId);
        return {
          ...copy(d),
          url: destination.url,
          payload: event?.payload ?? '',
          secrets: copy(destination.secrets),
        };
      })
      .sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
  }

  async recordDeliveryAttempt(
    attempt: DeliveryAttemptRecord,
    next: DeliveryNext,
    now: number,
    disableAfterMs: number,
  ): Promise<DeliveryOutcome> {
    this.#open();
    const d = this.#deliveries.get(attempt.deliveryId);
    if (!d || d.leaseOwner !== attempt.worker || d.status !== 'DELIVERING' || d.run !== attempt.run)
      return { recorded: false, disabled: false };
    Object.assign(d, {
      status: next.status,
      attempts: attempt.number,
      nextAttemptAt: next.status === 'PENDING' ? next.nextAttemptAt : null,
      deliveredAt: next.status === 'DELIVERED' ? attempt.finishedAt : null,
      lastHttpStatus: attempt.httpStatus,
      lastVerdict: attempt.verdict,
      leaseOwner: null,
      leasedUntil: null,
      updatedAt: now,
    });
    this.#attempts.push(copy(attempt));
    const destination = this.#destinations.get(d.destinationId);
    if (!destination) return { recorded: true, disabled: false };
    if (attempt.verdict === 'DELIVERED') {
      destination.failingSince = null;
      return { recorded: true, disabled: false };
    }
    destination.failingSince ??= now;
    if (destination.status !== 'ACTIVE' || destination.failingSince > now - disableAfterMs)
      return { recorded: true, disabled: false };
    const days = Math.round((disableAfterMs / 86_400_000) * 10) / 10;
    Object.assign(destination, {
      status: 'DISABLED',
      disabledReason: `every delivery failed for ${days} days (last: ${attempt.verdict}${attempt.httpStatus === null ? '' : ` ${attempt.httpStatus}`})`,
      updatedAt: now,
    });
    return { recorded: true, disabled: true };
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    this.#open();
    const d = this.#deliveries.get(id);
    return d && copy(d);
  }

  async listDeliveries(filter: DeliveryFilter): Promise<Page<DeliveryRecord>> {
    this.#open();
    const keep = (d: DeliveryRecord) =>
      (!filter.destinationId || d.destinationId === filter.destinationId) &&
      (!filter.eventId || d.eventId === filter.eventId) &&
      (!filter.status || d.status === filter.status);
    return paged(this.#deliveries.values(), filter, (d) => d.createdAt, keep);
  }

  async listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]> {
    this.#open();
    return this.#attempts
      .filter((a) => a.deliveryId === deliveryId)
      .sort((a, b) => a.run - b.run || a.number - b.number)
      .map(copy);
  }

  #newRun(d: DeliveryRecord, now: number): void {
    Object.assign(d, {
      status: 'PENDING',
      run: d.run + 1,
      attempts: 0,
      nextAttemptAt: now,
      deliveredAt: null,
      leaseOwner: null,
      leasedUntil: null,
      updatedAt: now,
    });
  }

  async redeliver(id: string, now: number): Promise<DeliveryRecord | undefined> {
    this.#open();
    const d = this.#deliveries.get(id);
    if (!d || d.status === 'DELIVERING') return undefined;
    this.#newRun(d, now);
    return copy(d);
  }

  async redeliverFailed(destinationId: string, since: number, now: number): Promise<number> {
    this.#open();
    let n = 0;
    for (const d of this.#deliveries.values()) {
      if (d.destinationId !== destinationId || d.status !== 'EXHAUSTED' || d.eventCreatedAt < since) continue;
      this.#newRun(d, now);
      n++;
    }
    return n;
  }

  async countDeliveries(): Promise<DeliveryCount[]> {
    this.#open();
    const counts = new Map<string, DeliveryCount>();
    for (const d of this.#deliveries.values()) {
      const key = `${d.destinationId}\u0000${d.status}`;
      const c = counts.get(key) ?? { destinationId: d.destinationId, status: d.status, count: 0 };
      c.count++;
      counts.set(key, c);
    }
    return [...counts.values()];
  }

  async oldestUndelivered(): Promise<number | null> {
    this.#open();
    let oldest: number | null = null;
    for (const d of this.#deliveries.values())
      if (
        (d.status === 'PENDING' || d.status === 'DELIVERING') &&
        (oldest === null || d.eventCreatedAt < oldest)
      )
        oldest = d.eventCreatedAt;
    return oldest;
  }
}
