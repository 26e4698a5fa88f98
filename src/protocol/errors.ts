/**
 * Every error authnotify raises is an `AuthNotifyError` with a stable string `code`.
 * Callers branch on `code` (and read `status` for HTTP), never on message text.
 */

/** Stable error codes. New codes may be added; existing ones never change meaning. */
export type ErrorCode =
  // transport and request shape
  | 'BODY_TOO_LARGE'
  | 'METHOD_NOT_ALLOWED'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'HEADER_MISSING'
  | 'HEADER_MALFORMED'
  | 'BODY_INVALID'
  // authentication
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_MALFORMED'
  | 'ALGORITHM_UNSUPPORTED'
  | 'KEY_VERSION_UNKNOWN'
  | 'CLIENT_ID_MISMATCH'
  | 'INVALID_SIGNATURE'
  | 'REQUEST_TIME_INVALID'
  | 'REQUEST_TIME_OUT_OF_WINDOW'
  // content
  | 'PARAM_ILLEGAL'
  | 'UNKNOWN_NOTIFY_TYPE'
  /** A forwarded event of a type this version does not know (sent by a newer authnotify). */
  | 'EVENT_TYPE_UNKNOWN'
  // keys and configuration
  | 'KEY_INVALID'
  | 'CONFIG_INVALID'
  /** Configuration was valid but the process could not start: a port in use, a file it cannot write. */
  | 'STARTUP_FAILED'
  // calls to Alipay
  | 'ALIPAY_FAILED'
  | 'ALIPAY_UNKNOWN'
  | 'ALIPAY_RESPONSE_INVALID'
  // storage and processing
  | 'STORE_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'INTERNAL_ERROR';

const DEFAULT_STATUS: Record<ErrorCode, number> = {
  BODY_TOO_LARGE: 413,
  METHOD_NOT_ALLOWED: 405,
  UNSUPPORTED_MEDIA_TYPE: 415,
  HEADER_MISSING: 400,
  HEADER_MALFORMED: 400,
  BODY_INVALID: 400,
  SIGNATURE_MISSING: 401,
  SIGNATURE_MALFORMED: 400,
  ALGORITHM_UNSUPPORTED: 401,
  KEY_VERSION_UNKNOWN: 401,
  CLIENT_ID_MISMATCH: 401,
  INVALID_SIGNATURE: 401,
  REQUEST_TIME_INVALID: 400,
  REQUEST_TIME_OUT_OF_WINDOW: 401,
  PARAM_ILLEGAL: 400,
  UNKNOWN_NOTIFY_TYPE: 400,
  EVENT_TYPE_UNKNOWN: 422,
  ALIPAY_FAILED: 502,
  ALIPAY_UNKNOWN: 503,
  ALIPAY_RESPONSE_INVALID: 502,
  KEY_INVALID: 500,
  CONFIG_INVALID: 500,
  STARTUP_FAILED: 500,
  STORE_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  CONFLICT: 409,
  INTERNAL_ERROR: 500,
};

/** The HTTP status authnotify answers with for a given error code. */
export function statusForCode(code: ErrorCode): number {
  return DEFAULT_STATUS[code];
}

export interface AuthNotifyErrorOptions {
  /** HTTP status; defaults to the code's usual status. */
  status?: number;
  /** What went wrong underneath, kept for logs and debuggers. */
  cause?: unknown;
  /** A sentence naming the usual cause and the fix. */
  hint?: string;
  /** Alipay's `resultCode`, for errors that come from an Alipay answer. */
  resultCode?: string;
}

/**
 * The one error type of authnotify.
 *
 * @example
 * try {
 *   await loadPublicKey(text);
 * } catch (error) {
 *   if (error instanceof AuthNotifyError && error.code === 'KEY_INVALID') console.error(error.hint);
 * }
 */
export class AuthNotifyError extends Error {
  override readonly name = 'AuthNotifyError';
  readonly code: ErrorCode;
  readonly status: number;
  readonly hint: string | undefined;
  /** Alipay's `resultCode` when the error is Alipay's answer (e.g. `INVALID_CODE`). */
  readonly resultCode: string | undefined;

  constructor(code: ErrorCode, message: string, options: AuthNotifyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status ?? DEFAULT_STATUS[code];
    this.hint = options.hint;
    this.resultCode = options.resultCode;
  }
}

/** True when `value` is an AuthNotifyError, optionally with the given code. */
export function isAuthNotifyError(value: unknown, code?: ErrorCode): value is AuthNotifyError {
  return value instanceof AuthNotifyError && (code === undefined || value.code === code);
}
