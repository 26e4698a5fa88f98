/**
 * authnotify — receive, verify, store and act on Alipay (Antom) notifyAuthorization notifications.
 * This entry is the protocol core plus the Node defaults; `authnotify/protocol` is the same core without
 * any Node API, for edge runtimes.
 */
export {
  type Base64Problem,
  concatBytes,
  decodeBase64Strict,
  fromBase64,
  percentDecode,
  percentEncodeBase64,
  sha256Hex,
  timingSafeEqualString,
  toBase64,
  toHex,
  utf8,
} from './protocol/bytes.js';
export { type Clock, ManualClock, systemClock } from './protocol/clock.js';
export {
  AuthNotifyError,
  type AuthNotifyErrorOptions,
  type ErrorCode,
  isAuthNotifyError,
  statusForCode,
} from './protocol/errors.js';
export { eventKey, eventSubject, subjectOfEventKey } from './protocol/event-key.js';
export { uuidv7 } from './protocol/ids.js';
export { createKeyRing, type KeyInput, type KeyRing, toKeyRing } from './protocol/key-ring.js';
export {
  decodeKeyText,
  describeKey,
  exportSpki,
  type GeneratedKeyPair,
  generateRsaKeyPair,
  identifyKey,
  importPrivateKey,
  importPublicKey,
  type KeyFormat,
  type KeyInfo,
  MIN_RSA_BITS,
  publicKeyFromPrivate,
  RSA_ALGORITHM,
  toPem,
} from './protocol/keys.js';
export {
  consoleLogger,
  type LogFields,
  type Logger,
  type LogLevel,
  silentLogger,
} from './protocol/logger.js';
export { maskLoginId, maskSecretsInText, maskToken } from './protocol/mask.js';
export { nodeSignatureCrypto } from './protocol/node-crypto.js';
export { readKeySource } from './protocol/node-key-source.js';
export {
  type AuthCodeCreated,
  AuthCodeCreatedSchema,
  MAX_LENGTH,
  NOTIFY_TYPES,
  type Notification,
  type NotificationOf,
  NotificationSchema,
  type NotifyType,
  type ParseOutcome,
  parseNotification,
  parseNotificationObject,
  ResultSchema,
  type TokenCanceled,
  TokenCanceledSchema,
  type TokenCreated,
  TokenCreatedSchema,
  type Violation,
  type ViolationRule,
} from './protocol/notification.js';
export {
  checkTimeWindow,
  DEFAULT_TIME_WINDOW,
  formatDuration,
  formatRequestTime,
  parseRequestTime,
  type RequestTimeStyle,
  type TimeWindow,
} from './protocol/request-time.js';
export {
  ACK_BODY,
  ACK_BODY_BYTES,
  failureBody,
  isAckBody,
  JSON_CONTENT_TYPE,
  type Result,
  ResultCodes,
  type ResultStatus,
} from './protocol/result.js';
export {
  ALIPAY_RETRY_DELAYS_MS,
  ALIPAY_SCHEDULE,
  maxDeliveries,
  nextDueAt,
  parseDuration,
  parseSchedule,
  type RetrySchedule,
  scheduleHorizonMs,
} from './protocol/schedule.js';
export {
  type HeadersLike,
  type RejectedMessage,
  readHeader,
  type SignMessageInput,
  signBytes,
  signMessage,
  type Verdict,
  type VerdictCode,
  type VerifiedMessage,
  type VerifyMessageInput,
  type VerifyOptions,
  verifyBytes,
  verifyMessage,
} from './protocol/signature.js';
export { type SignatureCrypto, webSignatureCrypto } from './protocol/signature-crypto.js';
export {
  formatSignatureHeader,
  parseSignatureHeader,
  SIGNATURE_ALGORITHM,
  type SignatureHeader,
} from './protocol/signature-header.js';
export {
  describeSignedContent,
  pathOf,
  type SignedContentInput,
  signedContent,
} from './protocol/signed-content.js';
export { type CryptoKey, isCryptoKey, type RsaHashedKeyAlgorithm } from './protocol/web-crypto.js';
export { nodeDefaults } from './receiver/node-defaults.js';
export { createNodeSecrets } from './receiver/node-secrets.js';
