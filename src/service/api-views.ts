/** How the admin API shows stored rows: summaries without tokens, times as ISO-8601. */
import type { InboxRecord } from '../store/types.js';

export function notificationSummary(row: InboxRecord) {
  return {
    id: row.id,
    eventKey: row.eventKey.replace(/^(TOKEN_(?:CREATED|CANCELED)):([0-9a-f]{8})[0-9a-f]+$/, '$1:#$2…'),
    type: row.type,
    status: row.status,
    duplicates: row.duplicates,
    attempts: row.attempts,
    outcome: row.outcome,
    authorizationId: row.authorizationId,
    receivedAt: new Date(row.receivedAt).toISOString(),
    errors:
      row.violations ?? (row.lastError ? [{ path: '', rule: 'processing', message: row.lastError }] : []),
  };
}

export function isoTimes<T extends { createdAt: number; updatedAt: number }>(view: T) {
  return {
    ...view,
    createdAt: new Date(view.createdAt).toISOString(),
    updatedAt: new Date(view.updatedAt).toISOString(),
  };
}
