/**
 * `authnotify/receiver` — the embedded receiver: `createReceiver` verifies, stores and acknowledges
 * notifications and runs typed handlers after the ack; the lifecycle it applies, and its ports.
 */
export { canTransition, decideLifecycle, Outcome, TERMINAL_STATUSES } from '../authorization/lifecycle.js';
export type {
  AuthorizationPatch,
  AuthorizationRecord,
  AuthorizationStatus,
  ConsultRecord,
  LifecycleContext,
  LifecycleDecision,
  LifecycleEvent,
  LifecycleLookup,
  LifecycleSnapshot,
  TokenColumns,
  TombstoneRecord,
} from '../authorization/types.js';
export { type AuthorizationView, toAuthorizationView } from '../authorization/view.js';
export {
  consoleLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogger,
} from '../protocol/logger.js';
export type { HandlerContext, NotificationEvent, NotificationHandler } from './handlers.js';
export type { ApplyTokenPort, ReceiverObserver } from './ports.js';
export { defaultBackoff, type ProcessorOptions } from './processor.js';
export type { RawRequest, RawResponse, Rejection } from './receive.js';
export {
  createReceiver,
  DEFAULT_MAX_BODY_BYTES,
  DEFAULT_NOTIFY_PATH,
  type Receiver,
  type ReceiverOptions,
} from './receiver.js';
export { bindSecretKey, createSecrets, type Secrets } from './secrets.js';
