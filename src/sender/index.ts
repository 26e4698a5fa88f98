/**
 * `authnotify/sender` — the outbox dispatcher: deliver notifications on Alipay's retry schedule with
 * leases, re-signing every attempt and an attempt log; and the forwarder, which delivers the event log
 * to the merchant's endpoints signed per Standard Webhooks.
 */
export {
  DEFAULT_DISABLE_AFTER_MS,
  FORWARD_RETRY_DELAYS_MS,
  retryDelay,
} from './forward-schedule.js';
export { createForwarder, type Forwarder, type ForwarderOptions, signingSecrets } from './forwarder.js';
export {
  type AttemptFault,
  createSender,
  type DeliveryFaults,
  type EnqueueInput,
  type Sender,
  type SenderOptions,
  type TransactionExecutor,
} from './sender.js';
export {
  createUndiciTransport,
  type DeliveryRequest,
  type DeliveryResponse,
  type DeliveryTransport,
} from './transport.js';
