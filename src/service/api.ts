/**
 * Health endpoints and the admin REST API (`/api/v1`, bearer token). Answers never carry tokens or token
 * hashes; userLoginId is masked; notification bodies are shown with their tokens masked.
 */
import { Hono } from 'hono';
import { toAuthorizationView } from '../authorization/view.js';
import type { Flow } from '../flow/flow.js';
import { readJsonBody } from '../http/json-body.js';
import type { Metrics } from '../http/metrics.js';
import { securityHeaders } from '../http/security-headers.js';
import { systemClock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { type Logger, silentLogger } from '../protocol/logger.js';
import type { Receiver } from '../receiver/receiver.js';
import { LATEST_SCHEMA_VERSION } from '../store/schema.js';
import { adminGate } from './admin-auth.js';
import { type EventRoutesOptions, mountEventRoutes } from './api-events.js';
import { serviceOpenApi } from './api-openapi.js';
import {
  AuthorizationsQuery,
  errorBody,
  NotificationsQuery,
  parseQuery,
  ReplayBody,
  StartAuthorizationBody,
} from './api-schemas.js';
import { isoTimes, notificationSummary } from './api-views.js';
import { redactedBody } from './body-view.js';
import { clientResolver } from './client-address.js';
import { mountDashboard, RecentRejections } from './dashboard.js';
import { destinationPages } from './dashboard-destinations.js';
import { livePages } from './dashboard-live.js';
import { notificationPages } from './dashboard-notification.js';
import { Destinations } from './destinations.js';
import { RejectionLimiter } from './rate-limit.js';
import { replayBatch } from './replay.js';
import { ADMIN_TOKEN } from './secret-file.js';
import type { SignInLinks } from './sign-in-links.js';
import type { StoreHealth } from './store-health.js';

/** How often a long-poll looks at the authorization. */
const LONG_POLL_MS = 250;

export interface ApiOptions {
  receiver: Receiver;
  adminToken: string;
  flow?: Flow | undefined;
  returnPath?: string;
  /** Limits failed admin authentications per source. Default 20 per minute. */
  limiter?: RejectionLimiter;
  metrics?: Metrics;
  /** Rejections of the last hour for the dashboard's health strip. */
  rejections?: RecentRejections;
  /** What the notify endpoint last found about store writes, for /readyz. */
  storeHealth?: StoreHealth;
  /** Addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed. Default none. */
  trustedProxies?: readonly string[];
  /** Failed admin authentications are logged here (the source, never the token). */
  logger?: Logger;
  /** One-time dashboard sign-in links (`authnotify dev`). */
  signInLinks?: SignInLinks;
  /** The event feed, stream and destinations; default: on the receiver's store, with no forwarder to nudge. */
  events?: Omit<EventRoutesOptions, 'store' | 'logger'>;
}

export function createApi(options: ApiOptions): Hono {
  // An empty or short token would open the admin API and the dashboard (issue 11): refused from every source.
  const adminToken = ADMIN_TOKEN.check(options.adminToken, 'adminToken');
  const { receiver } = options;
  const store = receiver.store;
  const app = new Hono();
  const clientOf = clientResolver(options.trustedProxies);
  const logger = options.logger ?? silentLogger;
  const events: Omit<EventRoutesOptions, 'store' | 'logger'> = options.events ?? {
    destinations: new Destinations(store, receiver.secrets, systemClock),
    clock: systemClock,
    nudge: () => undefined,
    pollMs: 500,
    closing: new AbortController().signal,
  };
  app.use('*', securityHeaders({ formsStayHere: true }));

  app.onError((error, c) => {
    if (error instanceof AuthNotifyError) {
      return c.json(errorBody(error.code, error.message), error.status as 400);
    }
    return c.json(errorBody('INTERNAL_ERROR', 'unexpected error'), 500);
  });
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));

  // The service's root is where a person lands: the dashboard (which asks to sign in).
  app.get('/', (c) => c.redirect('/dashboard', 302));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/openapi.json', (c) =>
    c.json(serviceOpenApi(receiver.notifyPath, options.returnPath ?? '/alipay/authorize/return')),
  );
  app.get('/metrics', async (c) => {
    if (!options.metrics) return c.json(errorBody('NOT_FOUND', 'metrics are off'), 404);
    await options.metrics.collect(store, events.clock.now()).catch(() => undefined);
    return c.text(await options.metrics.render(), 200, {
      'Content-Type': options.metrics.registry.contentType,
    });
  });
  app.get('/readyz', async (c) => {
    try {
      const version = await store.schemaVersion();
      if (version !== LATEST_SCHEMA_VERSION) {
        return c.json(
          {
            status: 'not ready',
            reason: `schema version ${version}, expected ${LATEST_SCHEMA_VERSION}: run authnotify migrate`,
          },
          503,
        );
      }
      await store.ping();
      const problem = options.storeHealth?.problem();
      if (problem) return c.json({ status: 'not ready', reason: problem }, 503);
      return c.json({ status: 'ready', store: store.kind, schemaVersion: version });
    } catch (error) {
      return c.json({ status: 'not ready', reason: (error as Error).message }, 503);
    }
  });

  const gate = adminGate(adminToken, options.limiter ?? new RejectionLimiter(), logger);

  mountDashboard(app, {
    pages: [
      notificationPages(receiver),
      destinationPages(store, events.destinations, events.nudge),
      livePages({ ...events, store, logger }),
    ],
    receiver,
    gate,
    adminToken,
    signInLinks: options.signInLinks,
    rejections: options.rejections ?? new RecentRejections(),
    clientOf,
    logger,
  });
  app.use('/api/v1/*', async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1] ?? '';
    const verdict = gate.check(clientOf(c).address, token, { path: c.req.path, via: 'admin API' });
    if (verdict.ok) return next();
    if (verdict.retryAfter > 0) {
      return c.json(
        errorBody(
          'TOO_MANY_REQUESTS',
          `too many failed authentications from this source; retry in ${verdict.retryAfter} s`,
        ),
        429,
        { 'Retry-After': String(verdict.retryAfter) },
      );
    }
    return c.json(
      errorBody('UNAUTHORIZED', 'a valid admin token is required: Authorization: Bearer <token>'),
      401,
      { 'WWW-Authenticate': 'Bearer realm="authnotify"' },
    );
  });

  app.get('/api/v1/notifications', async (c) => {
    const q = parseQuery(NotificationsQuery, c.req.query());
    const page = await store.listInbox({
      status: q.status as never,
      type: q.type,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ items: page.items.map(notificationSummary), nextCursor: page.nextCursor });
  });

  app.get('/api/v1/notifications/:id', async (c) => {
    const row = await store.getInbox(c.req.param('id'));
    if (!row) throw new AuthNotifyError('NOT_FOUND', `notification ${c.req.param('id')} does not exist`);
    const { body, note } = redactedBody(await receiver.rawBodyOf(row));
    return c.json({
      ...notificationSummary(row),
      path: row.path,
      matchedPath: row.matchedPath,
      keyVersion: row.keyVersion,
      requestTime: row.headers['Request-Time'] ?? null,
      lastError: row.lastError,
      processingAttempts: (await store.listInboxAttempts(row.id)).map((a) => ({
        attempt: a.attempt,
        at: new Date(a.at).toISOString(),
        outcome: a.outcome,
        error: a.error,
      })),
      body,
      bodyNote: note,
    });
  });

  app.post('/api/v1/notifications/:id/reprocess', async (c) => {
    const row = await receiver.reprocess(c.req.param('id'));
    return c.json(notificationSummary(row), 202);
  });

  app.post('/api/v1/notifications/:id/replay', async (c) => {
    const row = await receiver.replay(c.req.param('id'));
    return c.json(notificationSummary(row), 202);
  });

  app.post('/api/v1/notifications/replay', async (c) => {
    const body = await readJsonBody(c, ReplayBody);
    if (!body.ok) throw new AuthNotifyError('PARAM_ILLEGAL', body.message);
    const { type, receivedAfter, limit } = body.data;
    const ids = await replayBatch(receiver, {
      type,
      receivedAfter: receivedAfter === undefined ? undefined : Date.parse(receivedAfter),
      limit,
    });
    return c.json({ replayed: ids.length, ids }, 202);
  });

  app.get('/api/v1/authorizations', async (c) => {
    const q = parseQuery(AuthorizationsQuery, c.req.query());
    const tokenHash = q.accessToken ? await receiver.secrets.tokenHash(q.accessToken) : undefined;
    const list = () =>
      store.listAuthorizations({
        status: q.status as never,
        authState: q.authState,
        tokenHash,
        limit: q.limit,
        cursor: q.cursor,
      });
    let page = await list();
    if (q.wait) {
      // The long-poll: a redirect page waits for the result instead of polling.
      if (!q.authState)
        throw new AuthNotifyError('PARAM_ILLEGAL', 'wait needs authState: the authorization to wait for');
      const deadline = Date.now() + q.wait * 1000;
      const gone = c.req.raw.signal;
      while (page.items.every((a) => a.status === 'PENDING') && Date.now() < deadline && !gone.aborted) {
        await new Promise((resolve) => setTimeout(resolve, Math.min(LONG_POLL_MS, deadline - Date.now())));
        page = await list();
      }
    }
    return c.json({ items: page.items.map(toAuthorizationView).map(isoTimes), nextCursor: page.nextCursor });
  });

  mountEventRoutes(app, { ...events, store, logger });

  const flow = options.flow;
  const noFlow = () => {
    throw new AuthNotifyError(
      'CONFLICT',
      'the authorization flow is not configured: start serve with --alipay-endpoint and --merchant-private-key',
      { status: 501 },
    );
  };

  app.post('/api/v1/authorizations', async (c) => {
    if (!flow) return noFlow();
    const body = await readJsonBody(c, StartAuthorizationBody);
    if (!body.ok) throw new AuthNotifyError('PARAM_ILLEGAL', body.message);
    return c.json(await flow.start(body.data), 201);
  });

  app.post('/api/v1/authorizations/:id/revoke', async (c) => {
    if (!flow) return noFlow();
    return c.json(isoTimes(await flow.revoke(c.req.param('id'))));
  });

  app.get('/api/v1/authorizations/:id/access-token', async (c) => {
    if (!flow) return noFlow();
    const token = await flow.accessToken(c.req.param('id'));
    return c.json(token, 200, { 'Cache-Control': 'no-store' });
  });

  app.get(options.returnPath ?? '/alipay/authorize/return', async (c) => {
    if (!flow) return noFlow();
    const { authorization, redirectTo } = await flow.land(c.req.query());
    if (redirectTo) return c.redirect(redirectTo, 303);
    return c.json(isoTimes(authorization));
  });

  app.get('/api/v1/authorizations/:id', async (c) => {
    const authorization = await store.getAuthorization(c.req.param('id'));
    if (!authorization)
      throw new AuthNotifyError('NOT_FOUND', `authorization ${c.req.param('id')} does not exist`);
    const timeline = await store.timeline(authorization.id);
    return c.json({
      ...isoTimes(toAuthorizationView(authorization)),
      timeline: timeline.map((e) => ({
        kind: e.kind,
        from: e.from,
        to: e.to,
        detail: e.detail,
        notificationId: e.inboxId,
        at: new Date(e.at).toISOString(),
      })),
    });
  });

  return app;
}
