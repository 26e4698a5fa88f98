/**
 * The notifyAuthorization body (DESIGN.md §1.1) as a discriminated union on `authorizationNotifyType`.
 * All scalar values are JSON strings; unknown fields are kept. Parsing never throws: it returns the
 * notification, or every violation found with its field path and rule.
 */
import { z } from 'zod';

/** Notification types Alipay documents. */
export const NOTIFY_TYPES = ['AUTHCODE_CREATED', 'TOKEN_CREATED', 'TOKEN_CANCELED'] as const;
export type NotifyType = (typeof NOTIFY_TYPES)[number];

/** Field length limits; where two versions of the docs disagree the larger is accepted. */
export const MAX_LENGTH = {
  authorizationNotifyType: 64,
  authClientId: 64,
  accessToken: 128,
  authState: 256,
  authCode: 128,
  reason: 256,
  userLoginId: 64,
  userId: 64,
  resultCode: 64,
  resultMessage: 256,
} as const;

const required = (max: number) => z.string().min(1).max(max);
const optional = (max: number) => z.string().max(max).optional();

export const ResultSchema = z
  .object({
    resultCode: required(MAX_LENGTH.resultCode),
    resultStatus: z.enum(['S', 'F', 'U']),
    resultMessage: optional(MAX_LENGTH.resultMessage),
  })
  .loose();

const common = {
  authClientId: optional(MAX_LENGTH.authClientId),
  userLoginId: optional(MAX_LENGTH.userLoginId),
  userId: optional(MAX_LENGTH.userId),
  reason: optional(MAX_LENGTH.reason),
  result: ResultSchema,
};

export const AuthCodeCreatedSchema = z
  .object({
    authorizationNotifyType: z.literal('AUTHCODE_CREATED'),
    authCode: required(MAX_LENGTH.authCode),
    authState: required(MAX_LENGTH.authState),
    accessToken: optional(MAX_LENGTH.accessToken),
    ...common,
  })
  .loose();

export const TokenCreatedSchema = z
  .object({
    authorizationNotifyType: z.literal('TOKEN_CREATED'),
    accessToken: required(MAX_LENGTH.accessToken),
    authState: required(MAX_LENGTH.authState),
    authCode: optional(MAX_LENGTH.authCode),
    ...common,
  })
  .loose();

export const TokenCanceledSchema = z
  .object({
    authorizationNotifyType: z.literal('TOKEN_CANCELED'),
    accessToken: required(MAX_LENGTH.accessToken),
    authState: optional(MAX_LENGTH.authState),
    authCode: optional(MAX_LENGTH.authCode),
    ...common,
  })
  .loose();

/** The whole body schema, for JSON Schema output and documentation. */
export const NotificationSchema = z.discriminatedUnion('authorizationNotifyType', [
  AuthCodeCreatedSchema,
  TokenCreatedSchema,
  TokenCanceledSchema,
]);

export type AuthCodeCreated = z.infer<typeof AuthCodeCreatedSchema>;
export type TokenCreated = z.infer<typeof TokenCreatedSchema>;
export type TokenCanceled = z.infer<typeof TokenCanceledSchema>;
export type Notification = AuthCodeCreated | TokenCreated | TokenCanceled;
/** The notification of one type. */
export type NotificationOf<T extends NotifyType> = Extract<Notification, { authorizationNotifyType: T }>;

const SCHEMAS = {
  AUTHCODE_CREATED: AuthCodeCreatedSchema,
  TOKEN_CREATED: TokenCreatedSchema,
  TOKEN_CANCELED: TokenCanceledSchema,
} as const;

export type ViolationRule =
  | 'utf8'
  | 'json'
  | 'object'
  | 'required'
  | 'type'
  | 'max_length'
  | 'min_length'
  | 'enum'
  | 'success_result';

export interface Violation {
  /** Dotted field path, e.g. `result.resultStatus`; empty for the body itself. */
  path: string;
  rule: ViolationRule;
  message: string;
}

export type ParseOutcome =
  | { status: 'valid'; notification: Notification }
  /** Not a valid notification: bad UTF-8, bad JSON, or field rules broken. */
  | { status: 'invalid'; type: string | undefined; violations: Violation[] }
  /** A well-formed JSON object whose `authorizationNotifyType` authnotify does not know. */
  | { status: 'unknown_type'; type: string; violations: Violation[] };

const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a raw notification body. Accepts the bytes as received (preferred) or a string.
 *
 * @example
 * const outcome = parseNotification(rawBody);
 * if (outcome.status === 'valid' && outcome.notification.authorizationNotifyType === 'TOKEN_CANCELED') {
 *   revokeLocally(outcome.notification.accessToken);
 * }
 */
export function parseNotification(body: Uint8Array | string): ParseOutcome {
  let text: string;
  if (typeof body === 'string') {
    text = body;
  } else {
    try {
      text = decoder.decode(body);
    } catch {
      return invalid(undefined, [{ path: '', rule: 'utf8', message: 'the body is not valid UTF-8' }]);
    }
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'parse error';
    return invalid(undefined, [{ path: '', rule: 'json', message: `the body is not JSON: ${detail}` }]);
  }
  return parseNotificationObject(json);
}

/** Validates an already-parsed JSON value. */
export function parseNotificationObject(json: unknown): ParseOutcome {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return invalid(undefined, [{ path: '', rule: 'object', message: 'the body must be a JSON object' }]);
  }
  const record = json as Record<string, unknown>;
  const type = record.authorizationNotifyType;
  if (type === undefined) {
    return invalid(undefined, [
      { path: 'authorizationNotifyType', rule: 'required', message: 'authorizationNotifyType is required' },
    ]);
  }
  if (typeof type !== 'string') {
    return invalid(undefined, [
      { path: 'authorizationNotifyType', rule: 'type', message: `must be a string, got ${describe(type)}` },
    ]);
  }
  if (!Object.hasOwn(SCHEMAS, type)) {
    const violations: Violation[] = [
      {
        path: 'authorizationNotifyType',
        rule: 'enum',
        message: `unknown type "${type.slice(0, 64)}"; expected one of ${NOTIFY_TYPES.join(', ')}`,
      },
    ];
    return { status: 'unknown_type', type: type.slice(0, MAX_LENGTH.authorizationNotifyType), violations };
  }
  const schema = SCHEMAS[type as NotifyType];
  const parsed = schema.safeParse(record);
  const violations = parsed.success ? [] : parsed.error.issues.map((issue) => toViolation(issue, record));
  if (parsed.success && parsed.data.result.resultStatus !== 'S') {
    violations.push({
      path: 'result.resultStatus',
      rule: 'success_result',
      message: `Alipay only notifies successful results; got resultStatus "${parsed.data.result.resultStatus}"`,
    });
  }
  if (violations.length > 0 || !parsed.success) return invalid(type, violations);
  return { status: 'valid', notification: parsed.data as Notification };
}

function invalid(type: string | undefined, violations: Violation[]): ParseOutcome {
  return { status: 'invalid', type, violations };
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 20)}`;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let value = root;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function toViolation(issue: z.core.$ZodIssue, root: unknown): Violation {
  const path = issue.path.map(String).join('.');
  const value = valueAt(root, issue.path);
  switch (issue.code) {
    case 'invalid_type':
      return value === undefined
        ? { path, rule: 'required', message: `${path} is required` }
        : {
            path,
            rule: 'type',
            message: `${path} must be ${issue.expected === 'object' ? 'an object' : `a ${issue.expected}`} (all values are JSON strings), got ${describe(value)}`,
          };
    case 'too_big':
      return {
        path,
        rule: 'max_length',
        message: `${path} is longer than ${String(issue.maximum)} characters`,
      };
    case 'too_small':
      return { path, rule: 'min_length', message: `${path} must not be empty` };
    case 'invalid_value':
      return {
        path,
        rule: 'enum',
        message: `${path} must be one of ${issue.values.map(String).join(', ')}, got ${describe(value)}`,
      };
    default:
      return { path, rule: 'type', message: `${path}: ${issue.message}` };
  }
}
