/**
 * Spies a test can `await`: until the receiver's handlers have seen a notification, or until a delivery
 * reached a state. Everything seen is kept, so a wait for something that already happened resolves at
 * once; a wait that is never met rejects after its timeout with what was seen instead.
 */
import type { NotifyType } from '../protocol/notification.js';
import type { NotificationEvent } from '../receiver/handlers.js';
import type { Receiver } from '../receiver/receiver.js';
import type { AttemptRecord, OutboxNext, OutboxRecord } from '../store/types.js';

interface Waiter<T> {
  match: (value: T) => boolean;
  resolve: (value: T) => void;
}

/** What a spy has seen, and waits on it. */
class Seen<T> {
  readonly items: T[] = [];
  readonly #waiters = new Set<Waiter<T>>();

  push(value: T): void {
    this.items.push(value);
    for (const waiter of [...this.#waiters]) {
      if (!waiter.match(value)) continue;
      this.#waiters.delete(waiter);
      waiter.resolve(value);
    }
  }

  wait(match: (value: T) => boolean, timeoutMs: number, describe: (seen: T[]) => string): Promise<T> {
    const found = this.items.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms; ${describe(this.items)}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }
}

export interface ProcessedSpy {
  /** Every notification the handlers have run for, in order (retries appear again). */
  readonly events: readonly NotificationEvent[];
  /**
   * Resolves with the first event of `type` (and matching `where`) the handlers run for.
   *
   * @example
   * await spy.waitFor('TOKEN_CANCELED', (e) => e.notification.accessToken === token);
   */
  waitFor<T extends NotifyType>(
    type: T,
    where?: (event: NotificationEvent<T>) => boolean,
    timeoutMs?: number,
  ): Promise<NotificationEvent<T>>;
  /** Stops spying (the handler is removed). */
  stop(): void;
}

/**
 * Watches what a receiver's handlers are given, through a `'*'` handler registered first-come.
 *
 * @example
 * const spy = spyOnProcessed(receiver);
 * await receiver.handle(toRequest(url, signed));
 * const event = await spy.waitFor('TOKEN_CANCELED');
 */
export function spyOnProcessed(receiver: Pick<Receiver, 'on'>): ProcessedSpy {
  const seen = new Seen<NotificationEvent>();
  const stop = receiver.on('*', (event) => seen.push(event));
  return {
    events: seen.items,
    waitFor<T extends NotifyType>(
      type: T,
      where: (event: NotificationEvent<T>) => boolean = () => true,
      timeoutMs = 5000,
    ): Promise<NotificationEvent<T>> {
      const match = (e: NotificationEvent) => e.type === type && where(e as NotificationEvent<T>);
      const describe = (items: NotificationEvent[]) =>
        `no ${type} matched; seen: ${items.map((e) => e.type).join(', ') || 'nothing'}`;
      return seen.wait(match, timeoutMs, describe) as Promise<NotificationEvent<T>>;
    },
    stop,
  };
}

export interface DeliveryAttemptSeen {
  attempt: AttemptRecord;
  delivery: OutboxRecord;
  next: OutboxNext;
}

export interface DeliverySpy {
  /** Pass as the sender's `onAttempt` option. */
  readonly onAttempt: (attempt: AttemptRecord, delivery: OutboxRecord, next: OutboxNext) => void;
  /** Every attempt seen, in order. */
  readonly attempts: readonly DeliveryAttemptSeen[];
  /**
   * Resolves once delivery `outboxId` moved to `state` (ACKNOWLEDGED, EXHAUSTED, or PENDING for a retry).
   *
   * @example
   * await spy.waitFor(id, 'ACKNOWLEDGED');
   */
  waitFor(outboxId: string, state: OutboxNext['status'], timeoutMs?: number): Promise<DeliveryAttemptSeen>;
}

/**
 * Watches a sender's attempts.
 *
 * @example
 * const spy = spyOnDeliveries();
 * const sender = createSender({ ...options, onAttempt: spy.onAttempt });
 */
export function spyOnDeliveries(): DeliverySpy {
  const seen = new Seen<DeliveryAttemptSeen>();
  return {
    onAttempt: (attempt, delivery, next) => seen.push({ attempt, delivery, next }),
    attempts: seen.items,
    waitFor(outboxId, state, timeoutMs = 5000) {
      const describe = (items: DeliveryAttemptSeen[]) => {
        const mine = items.filter((s) => s.delivery.id === outboxId);
        return `delivery ${outboxId} did not reach ${state}; its attempts: ${mine.map((s) => `${s.attempt.verdict}→${s.next.status}`).join(', ') || 'none'}`;
      };
      return seen.wait((s) => s.delivery.id === outboxId && s.next.status === state, timeoutMs, describe);
    },
  };
}
