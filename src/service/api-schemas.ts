/** What the admin API accepts: request bodies and query strings, validated with zod before any work. */
import { z } from 'zod';
import { AUTHORIZATION_STATUSES } from '../authorization/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { NOTIFY_TYPES } from '../protocol/notification.js';
import { INBOX_STATUSES } from '../store/types.js';

export const StartAuthorizationBody = z
  .object({
    merchantUserId: z.string().min(1).max(64),
    customerBelongsTo: z.string().min(1).max(64).optional(),
    scopes: z.array(z.string().min(1).max(64)).min(1).max(4),
    terminalType: z.enum(['WEB', 'WAP', 'APP', 'MINI_APP']),
    osType: z.enum(['IOS', 'ANDROID']).optional(),
    redirectUrl: z.url().max(1024).optional(),
  })
  .strict();

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

const Limit = z.coerce.number().int().min(1).max(200).default(50);
export const NotificationsQuery = z.object({
  status: z.enum(INBOX_STATUSES as [string, ...string[]]).optional(),
  type: z.string().max(64).optional(),
  limit: Limit,
  cursor: z.string().max(200).optional(),
});
export const AuthorizationsQuery = z.object({
  status: z.enum(AUTHORIZATION_STATUSES as [string, ...string[]]).optional(),
  authState: z.string().max(256).optional(),
  accessToken: z.string().max(128).optional(),
  limit: Limit,
  cursor: z.string().max(200).optional(),
  /** Long-poll: wait up to this many seconds (≤ 60) for the authorization of `authState` to leave PENDING. */
  wait: z.coerce.number().int().min(0).max(60).optional(),
});

export function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
  const parsed = schema.safeParse(query);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AuthNotifyError(
      'PARAM_ILLEGAL',
      `query parameter ${first?.path.join('.') ?? '?'}: ${first?.message ?? 'invalid'}`,
      { status: 400 },
    );
  }
  return parsed.data;
}

/** A batch replay: PROCESSED notifications, newest first, of a type and received after a time. */
export const ReplayBody = z
  .object({
    type: z.enum(NOTIFY_TYPES).optional(),
    receivedAfter: z.iso.datetime({ offset: true }).optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .strict();
