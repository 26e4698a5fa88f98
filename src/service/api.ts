/**
 * Health endpoints and the admin REST API (`/api/v1`, bearer token). Answers never carry tokens or token
 * hashes; userLoginId is masked; notification bodies are shown with their tokens masked.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { AUTHORIZATION_STATUSES } from '../authorization/types.js';
import type { Flow } from '../flow/flow.js';
import { readJsonBody } from '../http/json-body.js';
import type { Metrics } from '../http/metrics.js';
import { buildOpenApi, commonOperations, notifyOperation, type Operation } from '../http/openapi-doc.js';
import { securityHeaders } from '../http/security-headers.js';
import { timingSafeEqualString } from '../protocol/bytes.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { type Logger, silentLogger } from '../protocol/logger.js';
import { toAuthorizationView } from '../receiver/handlers.js';
import type { Receiver } from '../receiver/receiver.js';
import { LATEST_SCHEMA_VERSION } from '../store/schema.js';
import { INBOX_STATUSES, type InboxRecord } from '../store/types.js';
import { redactedBody } from './body-view.js';
import { clientResolver } from './client-address.js';
import { mountDashboard, RecentRejections } from './dashboard.js';
import { RejectionLimiter } from './rate-limit.js';
import { ADMIN_TOKEN } from './secret-file.js';
import type { StoreHealth } from './store-health.js';

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
}

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

function errorBody(code: string, message: string) {
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
});

function parseQuery<T extends z.ZodType>(schema: T, query: Record<string, string>): z.infer<T> {
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

function notificationSummary(row: InboxRecord) {
  return {
    id: row.id,
    eventKey: row.eventKey.replace(/^(TOKEN_(?:CREATED|CANCELED)):([0-9a-f]{8})[0-9a-f]+$/, '$1:#$2…'),
    type: row.type,
    status: row.status,
    duplicates: row.duplicates,
    attempts: row.attempts,
    outcome: row.outcome,
    authorizationId: row.authorizationId,
    receivedAt: new Date(row.receivedAt).toISOString(),
    errors:
      row.violations ?? (row.lastError ? [{ path: '', rule: 'processing', message: row.lastError }] : []),
  };
}

export function createApi(options: ApiOptions): Hono {
  // An empty or short token would open the admin API and the dashboard (issue 11): refused from every source.
  const adminToken = ADMIN_TOKEN.check(options.adminToken, 'adminToken');
  const { receiver } = options;
  const store = receiver.store;
  const app = new Hono();
  const clientOf = clientResolver(options.trustedProxies);
  const logger = options.logger ?? silentLogger;
  app.use('*', securityHeaders({ formsStayHere: true }));

  app.onError((error, c) => {
    if (error instanceof AuthNotifyError) {
      return c.json(errorBody(error.code, error.message), error.status as 400);
    }
    return c.json(errorBody('INTERNAL_ERROR', 'unexpected error'), 500);
  });
  app.notFound((c) => c.json(errorBody('NOT_FOUND', `no route for ${c.req.method} ${c.req.path}`), 404));

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/openapi.json', (c) =>
    c.json(serviceOpenApi(receiver.notifyPath, options.returnPath ?? '/alipay/authorize/return')),
  );
  app.get('/metrics', async (c) => {
    if (!options.metrics) return c.json(errorBody('NOT_FOUND', 'metrics are off'), 404);
    await options.metrics.collect(store).catch(() => undefined);
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

  const limiter = options.limiter ?? new RejectionLimiter();
  mountDashboard(app, {
    receiver,
    adminToken,
    limiter,
    rejections: options.rejections ?? new RecentRejections(),
    clientOf,
    logger,
  });
  app.use('/api/v1/*', async (c, next) => {
    const source = clientOf(c).address;
    const wait = limiter.retryAfter(source);
    if (wait > 0) {
      return c.json(
        errorBody(
          'TOO_MANY_REQUESTS',
          `too many failed authentications from this source; retry in ${wait} s`,
        ),
        429,
        { 'Retry-After': String(wait) },
      );
    }
    const header = c.req.header('authorization') ?? '';
    const token = /^Bearer (.+)$/.exec(header)?.[1] ?? '';
    if (!timingSafeEqualString(token, adminToken)) {
      limiter.reject(source);
      logger.warn(
        { source, path: c.req.path, credentials: header === '' ? 'none' : 'wrong' },
        'admin API authentication failed',
      );
      return c.json(
        errorBody('UNAUTHORIZED', 'a valid admin token is required: Authorization: Bearer <token>'),
        401,
        {
          'WWW-Authenticate': 'Bearer realm="authnotify"',
        },
      );
    }
    await next();
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
      body,
      bodyNote: note,
    });
  });

  app.post('/api/v1/notifications/:id/reprocess', async (c) => {
    const row = await receiver.reprocess(c.req.param('id'));
    return c.json(notificationSummary(row), 202);
  });

  app.get('/api/v1/authorizations', async (c) => {
    const q = parseQuery(AuthorizationsQuery, c.req.query());
    const tokenHash = q.accessToken ? await receiver.secrets.tokenHash(q.accessToken) : undefined;
    const page = await store.listAuthorizations({
      status: q.status as never,
      authState: q.authState,
      tokenHash,
      limit: q.limit,
      cursor: q.cursor,
    });
    return c.json({ items: page.items.map(toAuthorizationView).map(isoTimes), nextCursor: page.nextCursor });
  });

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

function isoTimes<T extends { createdAt: number; updatedAt: number }>(view: T) {
  return {
    ...view,
    createdAt: new Date(view.createdAt).toISOString(),
    updatedAt: new Date(view.updatedAt).toISOString(),
  };
}

/** Every route of the service API, described from the schemas that validate it. */
export function serviceOperations(notifyPath: string, returnPath: string): Operation[] {
  const auth = true;
  const errors = {
    '400': 'Invalid parameter (PARAM_ILLEGAL)',
    '401': 'Missing or wrong admin token',
    '429': 'Too many failed authentications from this source',
  };
  return [
    notifyOperation(notifyPath),
    {
      method: 'get',
      path: '/healthz',
      tag: 'health',
      summary: 'The process is up',
      responses: { '200': 'ok' },
    },
    {
      method: 'get',
      path: '/readyz',
      tag: 'health',
      summary: 'The store is reachable and migrated',
      responses: { '200': 'ready', '503': 'not ready, with the reason' },
    },
    ...commonOperations(),
    {
      method: 'get',
      path: '/api/v1/notifications',
      tag: 'admin',
      auth,
      query: NotificationsQuery,
      summary: 'Stored notifications, newest first',
      responses: { '200': '{items, nextCursor}', ...errors },
    },
    {
      method: 'get',
      path: '/api/v1/notifications/{id}',
      tag: 'admin',
      auth,
      summary: 'One notification with its body (tokens masked)',
      responses: { '200': 'the notification', '404': 'no such notification', ...errors },
    },
    {
      method: 'post',
      path: '/api/v1/notifications/{id}/reprocess',
      tag: 'admin',
      auth,
      summary: 'Queue a QUARANTINED or FAILED notification again',
      responses: {
        '202': 'queued',
        '404': 'no such notification',
        '409': 'not reprocessable, with the reason',
        ...errors,
      },
    },
    {
      method: 'get',
      path: '/api/v1/authorizations',
      tag: 'admin',
      auth,
      query: AuthorizationsQuery,
      summary: 'Authorizations (tokens never returned)',
      responses: { '200': '{items, nextCursor}', ...errors },
    },
    {
      method: 'post',
      path: '/api/v1/authorizations',
      tag: 'flow',
      auth,
      body: StartAuthorizationBody,
      summary: 'Start an authorization: consult, returns normalUrl',
      responses: {
        '201': '{id, authState, normalUrl, schemeUrl, applinkUrl}',
        '501': 'flow not configured',
        '502': 'Alipay failed (ALIPAY_FAILED with resultCode)',
        '503': 'Alipay unknown (ALIPAY_UNKNOWN)',
        ...errors,
      },
    },
    {
      method: 'get',
      path: '/api/v1/authorizations/{id}',
      tag: 'admin',
      auth,
      summary: 'One authorization with its timeline',
      responses: { '200': 'the authorization', '404': 'no such authorization', ...errors },
    },
    {
      method: 'post',
      path: '/api/v1/authorizations/{id}/revoke',
      tag: 'flow',
      auth,
      summary: 'Revoke at Alipay, then record REVOKED',
      responses: {
        '200': 'the authorization',
        '404': 'no such authorization',
        '409': 'nothing to revoke',
        ...errors,
      },
    },
    {
      method: 'get',
      path: '/api/v1/authorizations/{id}/access-token',
      tag: 'flow',
      auth,
      summary: 'A usable access token (refreshed first when due)',
      responses: {
        '200': '{accessToken, expiresAt}',
        '404': 'no such authorization',
        '409': 'not ACTIVE',
        ...errors,
      },
    },
    {
      method: 'get',
      path: returnPath,
      tag: 'flow',
      summary: 'The wallet redirect landing: redeems the authCode once',
      responses: {
        '303': 'to the redirectUrl given at start',
        '200': 'the authorization, when no redirectUrl was given',
        '400': 'unknown or forged authState',
        '502': 'Alipay answer not trusted or failed',
      },
    },
  ];
}

export function serviceOpenApi(notifyPath: string, returnPath: string): Record<string, unknown> {
  return buildOpenApi(
    'authnotify service',
    'Receives Alipay notifyAuthorization, runs the authorization flow, and exposes an admin API.',
    serviceOperations(notifyPath, returnPath),
  );
}
