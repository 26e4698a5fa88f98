/**
 * Reprocessing: an operator puts a QUARANTINED or FAILED notification back in the queue. A quarantined
 * body is validated again (a schema fix may now accept it) and gets the event key it would have had.
 * Replaying: a PROCESSED notification's handlers run again.
 */
import type { Clock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { parseNotification } from '../protocol/notification.js';
import type { InboxRecord, Store } from '../store/types.js';
import { storedEventKey } from './inbox-row.js';
import type { Secrets } from './secrets.js';

export interface ReprocessDeps {
  store: Store;
  secrets: Secrets;
  clock: Clock;
  /** Wakes the processor. */
  nudge: () => void;
}

/** Requeues one notification; NOT_FOUND, CONFLICT (wrong status, a duplicate, a race) or PARAM_ILLEGAL. */
export async function reprocess(deps: ReprocessDeps, inboxId: string): Promise<InboxRecord> {
  const { store, secrets, clock } = deps;
  const row = await store.getInbox(inboxId);
  if (!row) throw new AuthNotifyError('NOT_FOUND', `notification ${inboxId} does not exist`);
  if (row.status !== 'QUARANTINED' && row.status !== 'FAILED') {
    throw new AuthNotifyError(
      'CONFLICT',
      `notification ${inboxId} is ${row.status}; only QUARANTINED or FAILED ones can be reprocessed`,
    );
  }
  let reclassified: { eventKey: string; type: string; violations: null } | undefined;
  if (row.status === 'QUARANTINED') {
    const parsed = parseNotification(await secrets.open(row.rawBody));
    if (parsed.status !== 'valid') {
      throw new AuthNotifyError(
        'PARAM_ILLEGAL',
        `notification ${inboxId} still does not validate: ${parsed.violations.map((v) => `${v.path} ${v.rule}`).join('; ')}`,
        {
          status: 409,
        },
      );
    }
    const n = parsed.notification;
    reclassified = {
      eventKey: await storedEventKey(n, secrets),
      type: n.authorizationNotifyType,
      violations: null,
    };
  }
  let updated: InboxRecord | undefined;
  try {
    updated = await store.requeueInbox(inboxId, clock.now(), reclassified);
  } catch (error) {
    if (error instanceof AuthNotifyError && error.code === 'CONFLICT') {
      throw new AuthNotifyError(
        'CONFLICT',
        `the same event is already in the inbox; notification ${inboxId} is a duplicate of it`,
      );
    }
    throw error;
  }
  if (!updated)
    throw new AuthNotifyError('CONFLICT', `notification ${inboxId} changed while reprocessing; try again`);
  deps.nudge();
  return updated;
}

/**
 * Replays a PROCESSED notification: its handlers run again (at least once, as the first time); its
 * lifecycle is not applied again. NOT_FOUND, or CONFLICT naming its status when it is not PROCESSED.
 */
export async function replay(deps: ReprocessDeps, inboxId: string): Promise<InboxRecord> {
  const { store, clock } = deps;
  const row = await store.getInbox(inboxId);
  if (!row) throw new AuthNotifyError('NOT_FOUND', `notification ${inboxId} does not exist`);
  const updated = row.status === 'PROCESSED' ? await store.replayInbox(inboxId, clock.now()) : undefined;
  if (!updated) {
    throw new AuthNotifyError(
      'CONFLICT',
      `notification ${inboxId} is ${row.status}; only PROCESSED ones can be replayed (reprocess FAILED or QUARANTINED ones)`,
    );
  }
  deps.nudge();
  return updated;
}
