/**
 * The processor's short way: rows of the types with nothing to run after their lifecycle (no handler, no
 * authCode to redeem) are applied and finished by the store itself, from the facts stored at receipt, in
 * one transaction — no lease, no trip of the sealed body to the processor and back. A batch the store
 * cannot apply (a conflict, facts it cannot read) is left to the usual way: claimed, opened, applied.
 */
import type { Clock } from '../protocol/clock.js';
import type { Logger } from '../protocol/logger.js';
import { NOTIFY_TYPES } from '../protocol/notification.js';
import { type AppliedDue, isStoreUnavailable, type Store } from '../store/types.js';
import type { HandlerRegistry } from './handlers.js';
import type { ApplyTokenPort, ReceiverObserver } from './ports.js';

export function warnUnknownAuthState(logger: Logger, inboxId: string, type: string | null): void {
  logger.warn({ inboxId, type }, 'authState matches no consult: flagged, authCode not redeemed');
}

/**
 * What a row the store applied itself is reported as, whether by a processor pass (`applyDue`) or with
 * its insert (`applyAtReceipt`): processed, with a warning for an authState that matches no consult.
 */
export function reportApplied(
  deps: { logger: Logger; observer: ReceiverObserver },
  applied: AppliedDue,
): void {
  if (applied.outcome === 'UNKNOWN_AUTH_STATE' && !applied.alreadyApplied)
    warnUnknownAuthState(deps.logger, applied.id, applied.type);
  deps.observer.processed?.('processed', applied.type);
}

/** No handler for the type, no code to redeem: the store finishes the row with its lifecycle. */
export function nothingAfterLifecycle(
  deps: { handlers: Pick<HandlerRegistry, 'has'>; applyToken: ApplyTokenPort | undefined },
  type: string,
): boolean {
  if (deps.handlers.has(type)) return false;
  return !(type === 'AUTHCODE_CREATED' && deps.applyToken !== undefined);
}

/**
 * Applies up to `limit` due rows in the store; answers how many, and the types it left to the store
 * (none when the store could not apply them: then they are claimed the usual way).
 */
export async function applyDue(
  deps: {
    store: Store;
    clock: Clock;
    logger: Logger;
    observer: ReceiverObserver;
    acceptUnknownAuthState: boolean;
  },
  limit: number,
  nothingAfterLifecycle: (type: string) => boolean,
): Promise<{ applied: number; leftToStore: readonly string[] }> {
  const types = NOTIFY_TYPES.filter(nothingAfterLifecycle);
  if (types.length === 0) return { applied: 0, leftToStore: [] };
  let applied: Awaited<ReturnType<Store['applyDue']>>;
  try {
    applied = await deps.store.applyDue({
      now: deps.clock.now(),
      limit,
      types,
      acceptUnknownAuthState: deps.acceptUnknownAuthState,
    });
  } catch (error) {
    if (isStoreUnavailable(error)) throw error;
    deps.logger.warn(
      { err: (error as Error).message },
      'could not apply due notifications in the store; claiming them',
    );
    return { applied: 0, leftToStore: [] };
  }
  for (const a of applied) reportApplied(deps, a);
  return { applied: applied.length, leftToStore: types };
}
