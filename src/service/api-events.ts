/**
 * The merchant's event stream in the admin API (bearer token, like the rest of /api/v1): the pull feed,
 * the live stream, destinations (create, list, pause, resume, rotate the secret, delete) and their
 * deliveries with the attempt log and redelivery.
 */
import type { Context, Hono } from 'hono';
import { readJsonBody } from '../http/json-body.js';
import type { Clock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import type { DeliveryRecord, DestinationRecord } from '../store/event-types.js';
import type { Store } from '../store/types.js';
import {
  CreateDestinationBody,
  DeliveriesQuery,
  EventsQuery,
  RedeliverFailedBody,
  RotateSecretBody,
  StreamQuery,
} from './api-event-schemas.js';
import { errorBody, parseQuery } from './api-schemas.js';
import type { Destinations } from './destinations.js';
import { decodeStreamCursor, eventStream, type StreamDeps } from './event-stream.js';

/** Streams open at once, per process: each reads the store while it is open. */
const MAX_STREAMS = 64;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A destination as the API shows it: never its secrets (see `GET …/secret`). */
export function destinationView(d: DestinationRecord) {
  return {
    id: d.id,
    url: d.url,
    description: d.description,
    types: d.types,
    status: d.status,
    disabledReason: d.disabledReason,
    failingSince: iso(d.failingSince),
    source: d.source,
    secrets: d.secrets.length,
    createdAt: iso(d.createdAt),
    updatedAt: iso(d.updatedAt),
  };
}

export function deliveryView(d: DeliveryRecord) {
  return {
    id: d.id,
    eventId: d.eventId,
    destinationId: d.destinationId,
    eventType: d.eventType,
    status: d.status,
    run: d.run,
    attempts: d.attempts,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastHttpStatus: d.lastHttpStatus,
    lastVerdict: d.lastVerdict,
    createdAt: iso(d.createdAt),
    deliveredAt: iso(d.deliveredAt),
  };
}

export interface EventRoutesOptions extends StreamDeps {
  store: Store;
  destinations: Destinations;
  clock: Clock;
  /** Something changed that the forwarder should look at (a destination made, resumed, a redelivery). */
  nudge: () => void;
}

async function body<S extends Parameters<typeof readJsonBody>[1]>(c: Context, schema: S) {
  const parsed = await readJsonBody(c, schema);
  if (!parsed.ok) throw new AuthNotifyError('PARAM_ILLEGAL', parsed.message);
  return parsed.data;
}

export function mountEventRoutes(app: Hono, options: EventRoutesOptions): void {
  const { store, destinations, clock, nudge } = options;
  let streams = 0;

  app.get('/api/v1/events', async (c) => {
    const q = parseQuery(EventsQuery, c.req.query());
    const page = await store.events.feed({ after: q.after, limit: q.limit, types: q.type });
    return c.json({
      items: page.items.map((e) => ({ id: e.id, ...(JSON.parse(e.payload) as object) })),
      nextCursor: page.next,
    });
  });

  app.get('/api/v1/events/stream', async (c) => {
    const q = parseQuery(StreamQuery, c.req.query());
    if (streams >= MAX_STREAMS)
      return c.json(errorBody('TOO_MANY_REQUESTS', `at most ${MAX_STREAMS} streams are open at once`), 429, {
        'Retry-After': '5',
      });
    const from = c.req.header('last-event-id') || q.after;
    const cursor = from ? decodeStreamCursor(from) : { events: await store.events.head() };
    if (q.include === 'notifications') cursor.inbox ??= [clock.now(), ''];
    streams++;
    return eventStream(c, options, cursor, {
      types: q.type,
      notifications: q.include === 'notifications',
      // The client left or the service is closing.
      onEnd: () => {
        streams--;
      },
    });
  });

  app.get('/api/v1/destinations', async (c) =>
    c.json({ items: (await store.events.listDestinations()).map(destinationView) }),
  );

  app.post('/api/v1/destinations', async (c) => {
    const input = await body(c, CreateDestinationBody);
    const { destination, secret } = await destinations.create(input);
    nudge();
    return c.json({ ...destinationView(destination), secret }, 201, { 'Cache-Control': 'no-store' });
  });

  app.get('/api/v1/destinations/:id', async (c) => {
    const d = await store.events.getDestination(c.req.param('id'));
    if (!d) throw new AuthNotifyError('NOT_FOUND', `destination ${c.req.param('id')} does not exist`);
    return c.json(destinationView(d));
  });

  app.get('/api/v1/destinations/:id/secret', async (c) => {
    const secrets = await destinations.revealSecrets(c.req.param('id'));
    return c.json({ secrets: secrets.map((s) => ({ secret: s.secret, expiresAt: iso(s.expiresAt) })) }, 200, {
      'Cache-Control': 'no-store',
    });
  });

  app.post('/api/v1/destinations/:id/pause', async (c) =>
    c.json(destinationView(await destinations.pause(c.req.param('id')))),
  );

  app.post('/api/v1/destinations/:id/resume', async (c) => {
    const d = await destinations.resume(c.req.param('id'));
    nudge();
    return c.json(destinationView(d));
  });

  app.post('/api/v1/destinations/:id/rotate-secret', async (c) => {
    const input = await body(c, RotateSecretBody);
    const { destination, secret } = await destinations.rotate(c.req.param('id'), {
      secret: input.secret,
      overlapMs: input.overlapSeconds === undefined ? undefined : input.overlapSeconds * 1000,
    });
    return c.json({ ...destinationView(destination), secret }, 200, { 'Cache-Control': 'no-store' });
  });

  app.delete('/api/v1/destinations/:id', async (c) => {
    await destinations.delete(c.req.param('id'));
    return c.body(null, 204);
  });

  app.get('/api/v1/destinations/:id/deliveries', async (c) => {
    const q = parseQuery(DeliveriesQuery, c.req.query());
    const page = await store.events.listDeliveries({
      destinationId: c.req.param('id'),
      status: q.status as DeliveryRecord['status'] | undefined,
      eventId: q.eventId,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ items: page.items.map(deliveryView), nextCursor: page.nextCursor });
  });

  app.post('/api/v1/destinations/:id/redeliver-failed', async (c) => {
    const input = await body(c, RedeliverFailedBody);
    if (!(await store.events.getDestination(c.req.param('id'))))
      throw new AuthNotifyError('NOT_FOUND', `destination ${c.req.param('id')} does not exist`);
    const n = await store.events.redeliverFailed(c.req.param('id'), Date.parse(input.since), clock.now());
    nudge();
    return c.json({ redelivering: n }, 202);
  });

  app.get('/api/v1/deliveries/:id', async (c) => {
    const d = await store.events.getDelivery(c.req.param('id'));
    if (!d) throw new AuthNotifyError('NOT_FOUND', `delivery ${c.req.param('id')} does not exist`);
    const attempts = await store.events.listDeliveryAttempts(d.id);
    return c.json({
      ...deliveryView(d),
      attempts: attempts.map((a) => ({
        run: a.run,
        number: a.number,
        startedAt: iso(a.startedAt),
        latencyMs: a.finishedAt - a.startedAt,
        httpStatus: a.httpStatus,
        verdict: a.verdict,
        errorClass: a.errorClass,
        response: a.responseExcerpt,
      })),
    });
  });

  app.post('/api/v1/deliveries/:id/redeliver', async (c) => {
    const current = await store.events.getDelivery(c.req.param('id'));
    if (!current) throw new AuthNotifyError('NOT_FOUND', `delivery ${c.req.param('id')} does not exist`);
    const d = await store.events.redeliver(current.id, clock.now());
    if (!d)
      throw new AuthNotifyError(
        'CONFLICT',
        `delivery ${current.id} is being attempted now; try again shortly`,
      );
    nudge();
    return c.json(deliveryView(d), 202);
  });
}
