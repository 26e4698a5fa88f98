/**
 * `authnotify/store` — the persistence port every store implements, its record types and the schema
 * migrations. Implementations: `authnotify/store/sqlite`, `/store/sqlite-thread`, `/store/postgres`.
 */
export { newAuthorization } from '../authorization/record.js';
export {
  AUTHORIZATION_STATUSES,
  type AuthorizationPatch,
  type AuthorizationRecord,
  type AuthorizationStatus,
  type ConsultRecord,
  type LifecycleContext,
  type LifecycleDecision,
  type LifecycleEvent,
  type LifecycleLookup,
  type LifecycleSnapshot,
  type TokenColumns,
  type TombstoneRecord,
} from '../authorization/types.js';
export { type Dialect, LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './schema.js';
export {
  type ApplyEventInput,
  type ApplyEventResult,
  type AttemptRecord,
  type AuthorizationFilter,
  type DeliveryVerdict,
  INBOX_STATUSES,
  type InboxClaim,
  type InboxFilter,
  type InboxFinish,
  type InboxInsertResult,
  type InboxRecord,
  type InboxStatus,
  isStoreUnavailable,
  type LifecycleApplication,
  type NewInboxRow,
  type NewOutboxRow,
  OUTBOX_STATUSES,
  type OutboxFilter,
  type OutboxNext,
  type OutboxRecord,
  type OutboxStatus,
  type Page,
  type Store,
  type TimelineEntry,
} from './types.js';
