/**
 * `authnotify/events`: the merchant's event stream — typed events, their schemas, and verifying a
 * forwarded delivery (Standard Webhooks) in one call. Web-standard APIs only.
 */
export { eventJsonSchemas } from './schemas.js';
export {
  generateWebhookSecret,
  parseWebhookSecret,
  WEBHOOK_SECRET_PREFIX,
  webhookHeaders,
} from './standard-webhooks.js';
export {
  AUTHORIZATION_EVENT_TYPES,
  type AuthnotifyEvent,
  type AuthorizationEventData,
  type AuthorizationEventType,
  EVENT_TYPES,
  type EventType,
  type EventViolation,
  isEventType,
  type QuarantineEventData,
  type StoredAuthnotifyEvent,
} from './types.js';
export { type HeaderSource, parseEvent, type VerifyEventOptions, verifyEvent } from './verify-event.js';
