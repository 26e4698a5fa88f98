/** The service's OpenAPI 3.1 document, built from the zod schemas that validate each route. */

import { buildOpenApi, commonOperations, notifyOperation, type Operation } from '../http/openapi-doc.js';
import { eventOperations, eventWebhooks } from './api-event-openapi.js';
import {
  AuthorizationsQuery,
  NotificationsQuery,
  ReplayBody,
  StartAuthorizationBody,
} from './api-schemas.js';
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
      method: 'post',
      path: '/api/v1/notifications/{id}/replay',
      tag: 'admin',
      auth,
      summary: "Run a PROCESSED notification's handlers again (its lifecycle is not applied twice)",
      responses: {
        '202': 'queued',
        '404': 'no such notification',
        '409': 'not PROCESSED, with its status',
        ...errors,
      },
    },
    {
      method: 'post',
      path: '/api/v1/notifications/replay',
      tag: 'admin',
      auth,
      body: ReplayBody,
      summary: 'Replay PROCESSED notifications, newest first, by type and receipt time (at most 500)',
      responses: { '202': '{replayed, ids}', ...errors },
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
    ...eventOperations(errors),
  ];
}

export function serviceOpenApi(notifyPath: string, returnPath: string): Record<string, unknown> {
  return buildOpenApi(
    'authnotify service',
    'Receives Alipay notifyAuthorization, runs the authorization flow, and exposes an admin API.',
    serviceOperations(notifyPath, returnPath),
    eventWebhooks(),
  );
}
