/**
 * `authnotify/protocol` — the wire contract on Web-standard APIs only (Node, Bun, Deno, edge runtimes):
 * notification schemas, the event key, signatures and keys, Request-Time, the retry schedule, results,
 * errors and the Logger shape.
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
} from './bytes.js';
export { type Clock, ManualClock, systemClock } from './clock.js';
export {
  AuthNotifyError,
  type AuthNotifyErrorOptions,
  type ErrorCode,
  isAuthNotifyError,
  statusForCode,
} from './errors.js';
export { eventKey, eventSubject, subjectOfEventKey } from './event-key.js';
export { uuidv7 } from './ids.js';
export { createKeyRing, type KeyInput, type KeyRing, toKeyRing } from './key-ring.js';
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
} from './keys.js';
export { consoleLogger, type LogFields, type Logger, type LogLevel, silentLogger } from './logger.js';
export { maskLoginId, maskSecretsInText, maskToken } from './mask.js';
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
} from './notification.js';
export {
  checkTimeWindow,
  DEFAULT_TIME_WINDOW,
  formatDuration,
  formatRequestTime,
  parseRequestTime,
  type RequestTimeStyle,
  type TimeWindow,
} from './request-time.js';
export {
  ACK_BODY,
  ACK_BODY_BYTES,
  failureBody,
  isAckBody,
  JSON_CONTENT_TYPE,
  type Result,
  ResultCodes,
  type ResultStatus,
} from './result.js';
export {
  ALIPAY_RETRY_DELAYS_MS,
  ALIPAY_SCHEDULE,
  maxDeliveries,
  nextDueAt,
  parseDuration,
  parseSchedule,
  type RetrySchedule,
  scheduleHorizonMs,
} from './schedule.js';
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
} from './signature.js';
export { type SignatureCrypto, webSignatureCrypto } from './signature-crypto.js';
export {
  formatSignatureHeader,
  parseSignatureHeader,
  SIGNATURE_ALGORITHM,
  type SignatureHeader,
} from './signature-header.js';
export { describeSignedContent, pathOf, type SignedContentInput, signedContent } from './signed-content.js';
export { type CryptoKey, isCryptoKey, type RsaHashedKeyAlgorithm } from './web-crypto.js';
