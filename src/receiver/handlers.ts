/**
 * Application handlers, typed by notification type:
 * `receiver.on('TOKEN_CANCELED', async (event) => …)` sees a `TokenCanceled`; `on('*', …)` sees them all.
 */

import type { AuthorizationView } from '../authorization/view.js';
import type { NotificationOf, NotifyType } from '../protocol/notification.js';

/** A notification handed to handlers; for a union of types it is a union discriminated by `type`. */
export type NotificationEvent<T extends NotifyType = NotifyType> = T extends NotifyType
  ? {
      /** Inbox row id: stable across retries, use it to make handlers idempotent. */
      id: string;
      type: T;
      notification: NotificationOf<T>;
      receivedAt: number;
      /** What the lifecycle did: APPLIED, NO_CHANGE, IGNORED_TERMINAL, UNKNOWN_AUTH_STATE, TOMBSTONED, … */
      outcome: string;
      authorization: AuthorizationView | undefined;
    }
  : never;

export interface HandlerContext {
  /** 1 on the first run, higher on retries (handlers run at least once). */
  attempt: number;
}

export type NotificationHandler<T extends NotifyType = NotifyType> = (
  event: NotificationEvent<T>,
  context: HandlerContext,
) => void | Promise<void>;

export class HandlerRegistry {
  readonly #handlers = new Map<NotifyType | '*', Set<NotificationHandler<NotifyType>>>();

  on<T extends NotifyType | '*'>(
    type: T,
    handler: NotificationHandler<T extends NotifyType ? T : NotifyType>,
  ): () => void {
    let set = this.#handlers.get(type);
    if (!set) {
      set = new Set();
      this.#handlers.set(type, set);
    }
    const h = handler as unknown as NotificationHandler<NotifyType>;
    set.add(h);
    return () => set.delete(h);
  }

  /** True when some handler runs for notifications of `type` (its own or `'*'`). */
  has(type: string | null): boolean {
    return (
      (this.#handlers.get('*')?.size ?? 0) > 0 ||
      (type !== null && (this.#handlers.get(type as NotifyType)?.size ?? 0) > 0)
    );
  }

  /** Runs every handler for the event in registration order; the first failure stops the run. */
  async run(event: NotificationEvent, context: HandlerContext): Promise<void> {
    for (const key of [event.type, '*'] as const) {
      for (const handler of this.#handlers.get(key) ?? []) await handler(event, context);
    }
  }
}
