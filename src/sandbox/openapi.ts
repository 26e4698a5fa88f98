/** The sandbox's routes for its OpenAPI document, from the schemas that validate them. */
import { commonOperations, type Operation } from '../http/openapi-doc.js';
import { ApplyTokenRequest, ConsultRequest, TokenRequest } from './auth-api.js';
import { SendRequest } from './control.js';
import { FaultSettingsSchema } from './faults.js';

export function sandboxOperations(): Operation[] {
  const api: Operation[] = [];
  for (const base of ['/ams/api/v1/authorizations', '/ams/sandbox/api/v1/authorizations']) {
    const alipay = {
      tag: 'alipay-api',
      responses: { '200': 'A signed answer; result.resultStatus S, F (with resultCode) or U' },
    } as const;
    api.push(
      {
        ...alipay,
        method: 'post',
        path: `${base}/consult`,
        body: ConsultRequest,
        summary: 'consult: returns normalUrl to the wallet page',
      },
      {
        ...alipay,
        method: 'post',
        path: `${base}/applyToken`,
        body: ApplyTokenRequest,
        summary: 'applyToken: authCode (single use) or refreshToken for tokens',
      },
      {
        ...alipay,
        method: 'post',
        path: `${base}/revoke`,
        body: TokenRequest,
        summary: 'revoke: ends an access token (safe to repeat)',
      },
      {
        ...alipay,
        method: 'post',
        path: `${base}/query`,
        body: TokenRequest,
        summary: 'query: the status of an access token',
      },
    );
  }
  const bad = { '400': 'Invalid request (PARAM_ILLEGAL)' };
  return [
    ...api,
    {
      method: 'post',
      path: '/sandbox/v1/notifications',
      tag: 'control',
      body: SendRequest,
      summary: 'Send any notification (type and fields, or a raw body)',
      responses: { '202': '{deliveryIds}', ...bad },
    },
    {
      method: 'get',
      path: '/sandbox/v1/deliveries',
      tag: 'control',
      summary: 'Deliveries, newest first (?status=)',
      responses: { '200': '{items}', ...bad },
    },
    {
      method: 'get',
      path: '/sandbox/v1/deliveries/{id}',
      tag: 'control',
      summary: 'A delivery with every attempt',
      responses: { '200': 'the delivery', '404': 'no such delivery' },
    },
    {
      method: 'post',
      path: '/sandbox/v1/deliveries/{id}/redeliver',
      tag: 'control',
      summary: 'Start a fresh run of the schedule',
      responses: { '202': 'the delivery', '404': 'no such delivery', '409': 'an attempt is in flight' },
    },
    {
      method: 'get',
      path: '/sandbox/v1/faults',
      tag: 'control',
      summary: 'Current fault settings',
      responses: { '200': 'the settings' },
    },
    {
      method: 'put',
      path: '/sandbox/v1/faults',
      tag: 'control',
      body: FaultSettingsSchema.partial(),
      summary: 'Set faults (partial)',
      responses: { '200': 'the settings', ...bad },
    },
    {
      method: 'delete',
      path: '/sandbox/v1/faults',
      tag: 'control',
      summary: 'Clear every fault',
      responses: { '200': 'the settings' },
    },
    {
      method: 'get',
      path: '/sandbox/v1/requests',
      tag: 'control',
      summary: 'The API request log',
      responses: { '200': '{items}' },
    },
    {
      method: 'get',
      path: '/sandbox/v1/info',
      tag: 'control',
      summary: 'Client id, Alipay public key, notify URL, time scale',
      responses: { '200': 'info' },
    },
    ...commonOperations(),
  ];
}
