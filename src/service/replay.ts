/**
 * Replaying a filtered batch of processed notifications: their handlers run again, newest first, at most
 * `limit` of them. Their lifecycle is not applied again.
 */
import type { Receiver } from '../receiver/receiver.js';

export interface ReplayFilter {
  type?: string | undefined;
  /** Only notifications received at or after this time (epoch ms). */
  receivedAfter?: number | undefined;
  limit: number;
}

/** Replays what matches; answers the ids queued again. */
export async function replayBatch(receiver: Receiver, filter: ReplayFilter): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await receiver.store.listInbox({
      status: 'PROCESSED',
      type: filter.type,
      limit: 100,
      cursor,
    });
    for (const row of page.items) {
      if (filter.receivedAfter !== undefined && row.receivedAt < filter.receivedAfter) return ids;
      await receiver.replay(row.id);
      ids.push(row.id);
      if (ids.length >= filter.limit) return ids;
    }
    if (!page.nextCursor) return ids;
    cursor = page.nextCursor;
  }
}
