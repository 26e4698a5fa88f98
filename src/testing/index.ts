/**
 * `authnotify/testing` — helpers for testing an integration: sign notifications with your own test key,
 * an in-memory store, and spies to await processed notifications and deliveries. The store contract
 * suite is `authnotify/testing/store-contract` (it needs vitest).
 */
export { ManualClock } from '../protocol/clock.js';
export { generateRsaKeyPair, toPem } from '../protocol/keys.js';
export { createMemoryStore, MemoryStore } from './memory-store.js';
export {
  EXPECTED_ACK,
  type SignedNotification,
  type SignNotificationInput,
  SUCCESS_RESULT,
  signNotification,
  toRequest,
} from './sign.js';
export {
  type DeliveryAttemptSeen,
  type DeliverySpy,
  type ProcessedSpy,
  spyOnDeliveries,
  spyOnProcessed,
} from './spy.js';
