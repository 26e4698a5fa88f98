/**
 * The event rows a store writes in the transaction of the change they describe: a lifecycle change that
 * moved an authorization (apply-batch.ts) and a quarantined notification (the inbox insert). No event
 * without its change, no change without its event.
 */
import type { AuthorizationRecord, LifecycleDecision } from '../authorization/types.js';
import { authorizationEventPayload, quarantineEventPayload } from '../events/payload.js';
import { eventTypeOfChange } from '../events/transitions.js';
import { uuidv7 } from '../protocol/ids.js';
import type { NewInboxRow } from './types.js';

/** Parameters of one row of EVENT_SQL.insertEvents: id, type, authorization id, inbox id, payload, at. */
export type EventRow = [string, string, string | null, string | null, string, number];

/**
 * The event a written lifecycle decision emits, if any (`record` is the authorization after it).
 * Its id is the timeline entry's: one change, one timeline entry, at most one event.
 */
export function lifecycleEventRow(
  decision: LifecycleDecision,
  record: AuthorizationRecord | undefined,
  timelineId: string,
  inboxId: string | null,
  now: number,
): EventRow | undefined {
  const change = decision.timeline;
  if (!decision.write || !change || !record) return undefined;
  const type = eventTypeOfChange(change);
  if (!type) return undefined;
  const payload = authorizationEventPayload(type, record, change.from, inboxId, now);
  return [timelineId, type, record.id, inboxId, payload, now];
}

/** The `notification.quarantined` event of a quarantined row (written only when the row is new). */
export function quarantineEventRow(row: NewInboxRow): EventRow | undefined {
  if (row.status !== 'QUARANTINED') return undefined;
  const payload = quarantineEventPayload(row, row.receivedAt);
  return [uuidv7(row.receivedAt), 'notification.quarantined', null, row.id, payload, row.receivedAt];
}
