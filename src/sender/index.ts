/**
 * `authnotify/sender` — the outbox dispatcher: deliver notifications on Alipay's retry schedule with
 * leases, re-signing every attempt and an attempt log.
 */
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
