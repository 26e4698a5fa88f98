/**
 * The event payloads as schemas: what `verifyEvent` checks a delivery against, and the JSON Schemas the
 * OpenAPI document's `webhooks` and `authnotify/events` publish. Objects are loose: a field a later
 * version adds does not break an older consumer.
 */
import { z } from 'zod';
import { AUTHORIZATION_EVENT_TYPES, type EventType } from './types.js';

const STATUSES = ['PENDING', 'CODE_RECEIVED', 'ACTIVE', 'CANCELED', 'REVOKED', 'FAILED', 'EXPIRED'] as const;
const isoTime = z.string().describe('ISO-8601, UTC');

export const AuthorizationEventDataSchema = z
  .looseObject({
    id: z.string().describe('the authorization id'),
    status: z.enum(STATUSES).describe('the status after the change'),
    previousStatus: z.enum(STATUSES).nullable().describe('the status before it; null when it was created'),
    authState: z.string().nullable(),
    userId: z.string().nullable().describe("the wallet's user id"),
    userLoginId: z.string().nullable().describe('the wallet login, masked'),
    authClientId: z.string().nullable(),
    merchantUserId: z.string().nullable(),
    reason: z.string().nullable().describe("why it ended: the wallet's reason, a result code"),
    notificationId: z.string().nullable().describe('the notification that caused the change, if one did'),
    createdAt: isoTime,
    updatedAt: isoTime,
    version: z
      .number()
      .int()
      .nonnegative()
      .describe(
        'grows with every change of this authorization: drop an event whose version is not above the last you applied',
      ),
  })
  .describe('the authorization after the change; never a token');

export const QuarantineEventDataSchema = z.looseObject({
  notificationId: z.string(),
  notifyType: z.string().nullable().describe('authorizationNotifyType as sent, when readable'),
  receivedAt: isoTime,
  violations: z.array(z.looseObject({ path: z.string(), rule: z.string(), message: z.string() })),
});

function envelope<T extends EventType, D extends z.ZodType>(type: T, data: D, description: string) {
  return z
    .looseObject({ type: z.literal(type), timestamp: isoTime.describe('when the change was made'), data })
    .describe(description);
}

const DESCRIPTIONS: Record<(typeof AUTHORIZATION_EVENT_TYPES)[number], string> = {
  'authorization.code_received':
    'An authCode arrived (redirect or AUTHCODE_CREATED); the token exchange follows.',
  'authorization.activated':
    'The authorization has a token (TOKEN_CREATED or the token exchange): charge it.',
  'authorization.refreshed': 'A refresh replaced the access token; the authorization stays ACTIVE.',
  'authorization.canceled':
    "The user canceled it in the wallet (TOKEN_CANCELED); data.reason is the wallet's reason.",
  'authorization.revoked': 'The merchant revoked it.',
  'authorization.expired': 'The token lapsed and could not be refreshed.',
  'authorization.failed': 'The token exchange failed, or the user declined in the wallet.',
};

/** One schema per event type. */
export const EVENT_SCHEMAS = {
  ...(Object.fromEntries(
    AUTHORIZATION_EVENT_TYPES.map((type) => [
      type,
      envelope(type, AuthorizationEventDataSchema, DESCRIPTIONS[type]),
    ]),
  ) as {
    [T in (typeof AUTHORIZATION_EVENT_TYPES)[number]]: ReturnType<
      typeof envelope<T, typeof AuthorizationEventDataSchema>
    >;
  }),
  'notification.quarantined': envelope(
    'notification.quarantined',
    QuarantineEventDataSchema,
    'A genuine notification failed validation and was quarantined: an operator should look at it.',
  ),
} satisfies Record<EventType, z.ZodType>;

/**
 * The JSON Schema (draft 2020-12) of each event type's payload.
 *
 * @example
 * const schema = eventJsonSchemas()['authorization.canceled'];
 */
export function eventJsonSchemas(): Record<EventType, Record<string, unknown>> {
  return Object.fromEntries(
    Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [
      type,
      z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }) as Record<string, unknown>,
    ]),
  ) as Record<EventType, Record<string, unknown>>;
}
