/** What the events, stream and destinations endpoints accept, validated before any work. */
import { z } from 'zod';
import { EVENT_TYPES } from '../events/types.js';
import { FORWARD_STATUSES } from '../store/event-types.js';

/** `type=a,b` or `type=a&type=b`: known event types only. */
const Types = z
  .string()
  .max(1000)
  .transform((v) =>
    v
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.enum(EVENT_TYPES)))
  .optional();

export const EventsQuery = z.object({
  after: z.string().max(64).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  type: Types,
});

export const StreamQuery = z.object({
  after: z.string().max(200).optional(),
  type: Types,
  /** Also follow notifications as they are received (`authnotify tail`). */
  include: z.enum(['notifications']).optional(),
});

const Secret = z.string().min(1).max(200);
const Url = z.string().min(1).max(2048);

export const CreateDestinationBody = z
  .object({
    url: Url,
    secret: Secret.optional(),
    types: z.array(z.enum(EVENT_TYPES)).max(EVENT_TYPES.length).optional(),
    description: z.string().max(200).optional(),
  })
  .strict();

export const RotateSecretBody = z
  .object({
    secret: Secret.optional(),
    /** How long the old secret keeps signing, in seconds. Default 86400 (24 h); at most 7 days. */
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400)
      .optional(),
  })
  .strict();

export const RedeliverFailedBody = z
  .object({
    /** Events made at or after this time (ISO-8601). */
    since: z.iso.datetime({ offset: true }),
  })
  .strict();

export const DeliveriesQuery = z.object({
  status: z.enum(FORWARD_STATUSES as [string, ...string[]]).optional(),
  eventId: z.string().max(100).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
