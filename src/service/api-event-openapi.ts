/** The events, stream and destinations routes in the OpenAPI document, and the forwarded events as `webhooks`. */

import { z } from 'zod';
import { EVENT_SCHEMAS } from '../events/schemas.js';
import type { Operation } from '../http/openapi-doc.js';
import {
  CreateDestinationBody,
  DeliveriesQuery,
  EventsQuery,
  RedeliverFailedBody,
  RotateSecretBody,
  StreamQuery,
} from './api-event-schemas.js';

export function eventOperations(errors: Record<string, string>): Operation[] {
  const auth = true;
  const tag = 'events';
  const missing = (what: string) => ({ '404': `no such ${what}`, ...errors });
  return [
    {
      method: 'get',
      path: '/api/v1/events',
      tag,
      auth,
      query: EventsQuery,
      summary:
        'The event log in order from a cursor (durable, at least once): store nextCursor and pass it back as after',
      responses: { '200': '{items: [{id, type, timestamp, data}], nextCursor}', ...errors },
    },
    {
      method: 'get',
      path: '/api/v1/events/stream',
      tag,
      auth,
      query: StreamQuery,
      summary:
        'The event log as server-sent events (text/event-stream); reconnect with Last-Event-ID to resume. include=notifications adds notification.received',
      responses: { '200': 'text/event-stream', ...errors },
    },
    {
      method: 'get',
      path: '/api/v1/destinations',
      tag,
      auth,
      summary: 'Forwarding destinations (never their secrets)',
      responses: { '200': '{items}', ...errors },
    },
    {
      method: 'post',
      path: '/api/v1/destinations',
      tag,
      auth,
      body: CreateDestinationBody,
      summary: 'Add a destination; the answer shows its signing secret, once',
      responses: { '201': 'the destination and its secret', ...errors },
    },
    {
      method: 'get',
      path: '/api/v1/destinations/{id}',
      tag,
      auth,
      summary: 'One destination',
      responses: { '200': 'the destination', ...missing('destination') },
    },
    {
      method: 'delete',
      path: '/api/v1/destinations/{id}',
      tag,
      auth,
      summary: 'Delete a destination and its deliveries',
      responses: { '204': 'deleted', ...missing('destination') },
    },
    {
      method: 'get',
      path: '/api/v1/destinations/{id}/secret',
      tag,
      auth,
      summary: 'The secrets that sign now, newest first',
      responses: { '200': '{secrets: [{secret, expiresAt}]}', ...missing('destination') },
    },
    {
      method: 'post',
      path: '/api/v1/destinations/{id}/pause',
      tag,
      auth,
      summary: 'Stop deliveries; events wait and are delivered after resume',
      responses: { '200': 'the destination', ...missing('destination') },
    },
    {
      method: 'post',
      path: '/api/v1/destinations/{id}/resume',
      tag,
      auth,
      summary: 'Deliver again from where it stopped (a disabled destination too)',
      responses: { '200': 'the destination', ...missing('destination') },
    },
    {
      method: 'post',
      path: '/api/v1/destinations/{id}/rotate-secret',
      tag,
      auth,
      body: RotateSecretBody,
      summary: 'A new signing secret; the old one keeps signing for the overlap (default 24 h)',
      responses: { '200': 'the destination and its new secret', ...missing('destination') },
    },
    {
      method: 'get',
      path: '/api/v1/destinations/{id}/deliveries',
      tag,
      auth,
      query: DeliveriesQuery,
      summary: "A destination's deliveries, newest first",
      responses: { '200': '{items, nextCursor}', ...errors },
    },
    {
      method: 'post',
      path: '/api/v1/destinations/{id}/redeliver-failed',
      tag,
      auth,
      body: RedeliverFailedBody,
      summary: 'Deliver again every EXHAUSTED event of this destination made since a time',
      responses: { '202': '{redelivering}', ...missing('destination') },
    },
    {
      method: 'get',
      path: '/api/v1/deliveries/{id}',
      tag,
      auth,
      summary: 'One delivery with its attempt log (time, status, latency, first bytes of the answer)',
      responses: { '200': 'the delivery', ...missing('delivery') },
    },
    {
      method: 'post',
      path: '/api/v1/deliveries/{id}/redeliver',
      tag,
      auth,
      summary: 'Deliver one event again now (a new run of attempts)',
      responses: { '202': 'the delivery', '409': 'an attempt is under way', ...missing('delivery') },
    },
  ];
}

/** OpenAPI 3.1 `webhooks`: what a destination receives, one entry per event type. */
export function eventWebhooks(): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(EVENT_SCHEMAS).map(([type, schema]) => [
      type,
      {
        post: {
          summary: schema.description,
          description:
            'Signed per Standard Webhooks: webhook-id (the event id, the same on every retry), webhook-timestamp, webhook-signature (v1,<base64 HMAC-SHA256>, several during a secret rotation). Answer 2xx within 15 s; anything else is retried.',
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'output' }),
              },
            },
          },
          responses: { '2XX': { description: 'received' } },
        },
      },
    ]),
  );
}
