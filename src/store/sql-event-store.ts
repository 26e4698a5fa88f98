/**
 * The event log and forwarding queue on SQL, written once for SQLite and PostgreSQL over a small driver
 * (single statements, and transactions run as generator steps like the rest of the store).
 */
import { uuidv7 } from '../protocol/ids.js';
import { all, run, type Steps } from './apply-event.js';
import {
  EVENT_SQL,
  type EventDialect,
  feedQuery,
  headOf,
  headQuery,
  inList,
  START_POSITION,
  toDeliveryAttemptRecord,
  toDeliveryRecord,
  toDestinationRecord,
  toEventRecord,
} from './event-sql.js';
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
  ForwardStatus,
  NewDestinationRow,
} from './event-types.js';
import type { ReadQuery } from './reads.js';
import { decodeCursor, encodeCursor, num, numOrNull, page, type Row } from './rows.js';
import { pageQuery } from './statements.js';
import type { Page } from './types.js';

/** What a store gives the event log: its dialect, one-statement reads and transactions of steps. */
export interface EventStoreDriver {
  dialect: EventDialect;
  read<T>(query: ReadQuery<T>): Promise<T>;
  transaction<T>(what: string, steps: () => Steps<T>): Promise<T>;
}

function feedPage(rows: Row[], after: string | undefined): EventFeedPage {
  const items = rows.map(toEventRecord);
  return { items, next: items[items.length - 1]?.position ?? after ?? START_POSITION };
}

function* feedSteps(dialect: EventDialect, filter: EventFeedFilter): Steps<EventFeedPage> {
  const { sql, params } = feedQuery(dialect, filter.after, filter.limit, filter.types);
  return feedPage(yield* all(sql, ...params), filter.after);
}

const DESTINATION_COLUMNS: Record<keyof DestinationChange, [string, (v: unknown) => unknown]> = {
  url: ['url', (v) => v],
  status: ['status', (v) => v],
  disabledReason: ['disabled_reason', (v) => v],
  types: ['types', (v) => (v === null ? null : JSON.stringify(v))],
  secrets: ['secrets', (v) => JSON.stringify(v)],
  description: ['description', (v) => v],
};

export class SqlEventStore implements EventStore {
  readonly #driver: EventStoreDriver;
  readonly #dialect: EventDialect;

  constructor(driver: EventStoreDriver) {
    this.#driver = driver;
    this.#dialect = driver.dialect;
  }

  #one<T>(what: string, sql: string, params: unknown[], map: (r: Row) => T): Promise<T | undefined> {
    return this.#driver.read({ what, sql, params, shape: (rows) => (rows[0] ? map(rows[0]) : undefined) });
  }

  #all<T>(what: string, sql: string, params: unknown[], map: (r: Row) => T): Promise<T[]> {
    return this.#driver.read({ what, sql, params, shape: (rows) => rows.map(map) });
  }

  async feed(filter: EventFeedFilter): Promise<EventFeedPage> {
    const { sql, params } = feedQuery(this.#dialect, filter.after, filter.limit, filter.types);
    return this.#driver.read({
      what: 'read the event feed',
      sql,
      params,
      shape: (rows) => feedPage(rows, filter.after),
    });
  }

  async head(): Promise<string> {
    return this.#driver.read({
      what: 'read the event feed',
      sql: headQuery(this.#dialect),
      params: [],
      shape: headOf,
    });
  }

  async get(id: string): Promise<EventRecord | undefined> {
    return this.#one('read an event', EVENT_SQL.getEvent(this.#dialect), [id], toEventRecord);
  }

  async prune(before: number, limit: number): Promise<number> {
    const dialect = this.#dialect;
    return this.#driver.transaction('prune old events', function* () {
      const ids = (yield* all(EVENT_SQL.prunable, before, limit)).map((r) => String(r.id));
      if (ids.length === 0) return 0;
      const [events, list] = inList(dialect, 'event_id', ids);
      yield* run(
        `DELETE FROM event_delivery_attempts WHERE delivery_id IN (SELECT id FROM event_deliveries WHERE ${events})`,
        list,
      );
      yield* run(`DELETE FROM event_deliveries WHERE ${events}`, list);
      const [byId, idList] = inList(dialect, 'id', ids);
      return yield* run(`DELETE FROM events WHERE ${byId}`, idList);
    });
  }

  async createDestination(row: NewDestinationRow): Promise<DestinationRecord> {
    const dialect = this.#dialect;
    return this.#driver.transaction('create a destination', function* () {
      const position = headOf(yield* all(headQuery(dialect)));
      yield* run(
        EVENT_SQL.insertDestination,
        row.id,
        row.url,
        row.description,
        row.types === null ? null : JSON.stringify(row.types),
        JSON.stringify(row.secrets),
        row.source,
        position,
        row.createdAt,
        row.createdAt,
      );
      const [stored] = yield* all(EVENT_SQL.getDestination, row.id);
      return toDestinationRecord(stored as Row);
    });
  }

  async getDestination(id: string): Promise<DestinationRecord | undefined> {
    return this.#one('read a destination', EVENT_SQL.getDestination, [id], toDestinationRecord);
  }

  async listDestinations(): Promise<DestinationRecord[]> {
    return this.#all('list destinations', EVENT_SQL.listDestinations, [], toDestinationRecord);
  }

  async updateDestination(
    id: string,
    change: DestinationChange,
    now: number,
  ): Promise<DestinationRecord | undefined> {
    const sets: string[] = [];
    const values: unknown[] = [];
    for (const [key, [column, encode]] of Object.entries(DESTINATION_COLUMNS)) {
      const value = change[key as keyof DestinationChange];
      if (value === undefined) continue;
      sets.push(`${column} = ?`);
      values.push(encode(value));
    }
    // Paused or re-enabled by hand: a new run of failures starts from scratch.
    if (change.status !== undefined) sets.push('failing_since = NULL');
    sets.push('updated_at = ?');
    const sql = `UPDATE destinations SET ${sets.join(', ')} WHERE id = ? RETURNING *`;
    return this.#one('update a destination', sql, [...values, now, id], toDestinationRecord);
  }

  async deleteDestination(id: string): Promise<boolean> {
    return this.#driver.transaction('delete a destination', function* () {
      yield* run(EVENT_SQL.deleteAttemptsOfDestination, id);
      yield* run(EVENT_SQL.deleteDeliveriesOfDestination, id);
      return (yield* run(EVENT_SQL.deleteDestination, id)) === 1;
    });
  }

  async fanOut(destinationId: string, limit: number, now: number): Promise<number> {
    const dialect = this.#dialect;
    return this.#driver.transaction('queue deliveries', function* () {
      const [destination] = yield* all(EVENT_SQL.fanOutDestination(dialect), destinationId);
      if (!destination) return 0;
      // Unfiltered, so that the position moves past the types this destination does not take.
      const { items, next } = yield* feedSteps(dialect, { after: String(destination.position), limit });
      if (items.length === 0) return 0;
      const types =
        destination.types === null ? null : new Set(JSON.parse(String(destination.types)) as string[]);
      const wanted = types === null ? items : items.filter((e) => types.has(e.type));
      for (let i = 0; i < wanted.length; i += 200) {
        const chunk = wanted.slice(i, i + 200);
        yield* run(
          EVENT_SQL.insertDeliveries(chunk.length),
          ...chunk.flatMap((e) => [uuidv7(now), e.id, destinationId, e.type, e.createdAt, now, now, now]),
        );
      }
      yield* run(EVENT_SQL.advanceDestination, next, now, destinationId);
      return wanted.length;
    });
  }

  async claimDeliveries(claim: DeliveryClaim): Promise<ClaimedDelivery[]> {
    const dialect = this.#dialect;
    return this.#driver.transaction('claim forwarded deliveries', function* () {
      const { owner, now, leaseMs, limit } = claim;
      const rows = yield* all(
        EVENT_SQL.claimDeliveries(dialect),
        owner,
        now + leaseMs,
        now,
        now,
        limit,
        now,
        limit,
      );
      if (rows.length === 0) return [];
      const deliveries = rows.map(toDeliveryRecord);
      const [events, eventList] = inList(dialect, 'id', [...new Set(deliveries.map((d) => d.eventId))]);
      const payloads = new Map(
        (yield* all(`SELECT id, payload FROM events WHERE ${events}`, eventList)).map((r) => [
          String(r.id),
          String(r.payload),
        ]),
      );
      const [dests, destList] = inList(dialect, 'id', [...new Set(deliveries.map((d) => d.destinationId))]);
      const destinations = new Map(
        (yield* all(`SELECT * FROM destinations WHERE ${dests}`, destList)).map((r) => [
          String(r.id),
          toDestinationRecord(r),
        ]),
      );
      const claimed: ClaimedDelivery[] = [];
      for (const d of deliveries) {
        const destination = destinations.get(d.destinationId);
        const payload = payloads.get(d.eventId);
        if (destination && payload !== undefined)
          claimed.push({ ...d, url: destination.url, payload, secrets: destination.secrets });
      }
      return claimed.sort((a, b) => (a.nextAttemptAt ?? 0) - (b.nextAttemptAt ?? 0));
    });
  }

  async recordDeliveryAttempt(
    attempt: DeliveryAttemptRecord,
    next: DeliveryNext,
    now: number,
    disableAfterMs: number,
  ): Promise<DeliveryOutcome> {
    return this.#driver.transaction('record a forwarded delivery attempt', function* () {
      const moved = yield* run(
        EVENT_SQL.advanceDelivery,
        next.status,
        attempt.number,
        next.status === 'PENDING' ? next.nextAttemptAt : null,
        next.status === 'DELIVERED' ? attempt.finishedAt : null,
        attempt.httpStatus,
        attempt.verdict,
        now,
        attempt.deliveryId,
        attempt.worker,
        attempt.run,
      );
      if (moved !== 1) return { recorded: false, disabled: false };
      yield* run(
        EVENT_SQL.insertDeliveryAttempt,
        attempt.id,
        attempt.deliveryId,
        attempt.run,
        attempt.number,
        attempt.startedAt,
        attempt.finishedAt,
        attempt.httpStatus,
        attempt.responseExcerpt,
        attempt.errorClass,
        attempt.verdict,
        attempt.worker,
      );
      if (attempt.verdict === 'DELIVERED') {
        yield* run(EVENT_SQL.destinationSucceeded, attempt.deliveryId);
        return { recorded: true, disabled: false };
      }
      yield* run(EVENT_SQL.destinationFailed, now, attempt.deliveryId);
      const days = Math.round((disableAfterMs / 86_400_000) * 10) / 10;
      const reason = `every delivery failed for ${days} days (last: ${attempt.verdict}${attempt.httpStatus === null ? '' : ` ${attempt.httpStatus}`})`;
      const disabled = yield* run(
        EVENT_SQL.disableDestination,
        reason,
        now,
        attempt.deliveryId,
        now - disableAfterMs,
      );
      return { recorded: true, disabled: disabled === 1 };
    });
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    return this.#one('read a forwarded delivery', EVENT_SQL.getDelivery, [id], toDeliveryRecord);
  }

  async listDeliveries(filter: DeliveryFilter): Promise<Page<DeliveryRecord>> {
    const { sql, params } = pageQuery(
      'event_deliveries',
      'created_at',
      [
        ['destination_id', filter.destinationId],
        ['event_id', filter.eventId],
        ['status', filter.status],
      ],
      decodeCursor(filter.cursor),
      filter.limit,
    );
    return this.#driver.read({
      what: 'list forwarded deliveries',
      sql,
      params,
      shape: (rows) => page(rows.map(toDeliveryRecord), filter.limit, (r) => encodeCursor(r.createdAt, r.id)),
    });
  }

  async listDeliveryAttempts(deliveryId: string): Promise<DeliveryAttemptRecord[]> {
    return this.#all(
      'list delivery attempts',
      EVENT_SQL.listDeliveryAttempts,
      [deliveryId],
      toDeliveryAttemptRecord,
    );
  }

  async redeliver(id: string, now: number): Promise<DeliveryRecord | undefined> {
    return this.#one('redeliver an event', EVENT_SQL.redeliver, [now, now, id], toDeliveryRecord);
  }

  async redeliverFailed(destinationId: string, since: number, now: number): Promise<number> {
    return this.#driver.transaction('redeliver failed events', function* () {
      return yield* run(EVENT_SQL.redeliverFailed, now, now, destinationId, since);
    });
  }

  async countDeliveries(): Promise<DeliveryCount[]> {
    return this.#all('count forwarded deliveries', EVENT_SQL.countDeliveries, [], (r) => ({
      destinationId: String(r.destination_id),
      status: r.status as ForwardStatus,
      count: num(r.n),
    }));
  }

  async oldestUndelivered(): Promise<number | null> {
    return this.#driver.read({
      what: 'find the oldest undelivered event',
      sql: EVENT_SQL.oldestUndelivered,
      params: [],
      shape: (rows) => numOrNull(rows[0]?.t),
    });
  }
}
