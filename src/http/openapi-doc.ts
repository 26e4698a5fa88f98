/**
 * OpenAPI 3.1 documents built from the same Zod schemas that validate the requests (z.toJSONSchema), so the
 * description cannot drift from the checks. A test compares them with the routes the apps really serve.
 */
import { z } from 'zod';
import { NotificationSchema, ResultSchema } from '../protocol/notification.js';

export type Operation = {
  method: 'get' | 'post' | 'put' | 'delete';
  path: string;
  summary: string;
  tag: string;
  auth?: boolean;
  query?: z.ZodType;
  body?: z.ZodType;
  bodyType?: string;
  responses: Record<string, string>;
};

const json = (schema: z.ZodType) =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', unrepresentable: 'any', io: 'input' });

const ResultEnvelope = z.object({ result: ResultSchema });
const ErrorEnvelope = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

function parametersOf(query: z.ZodType | undefined): unknown[] {
  if (!query) return [];
  const schema = json(query) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: s,
  }));
}

export function buildOpenApi(
  title: string,
  description: string,
  operations: readonly Operation[],
  /** OpenAPI 3.1 `webhooks`: requests this service sends. */
  webhooks?: Record<string, unknown>,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const pathParams = [...op.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const responses: Record<string, unknown> = {};
    for (const [status, text] of Object.entries(op.responses)) {
      const body =
        Number(status) >= 400
          ? op.tag === 'notify' || op.tag === 'alipay-api'
            ? ResultEnvelope
            : ErrorEnvelope
          : undefined;
      responses[status] = {
        description: text,
        ...(body ? { content: { 'application/json': { schema: json(body) } } } : {}),
      };
    }
    const item = paths[op.path] ?? {};
    paths[op.path] = item;
    item[op.method] = {
      summary: op.summary,
      tags: [op.tag],
      ...(op.auth ? { security: [{ adminToken: [] }] } : {}),
      parameters: [...pathParams, ...parametersOf(op.query)],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { [op.bodyType ?? 'application/json']: { schema: json(op.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title, version: '0.1.0', description },
    components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    paths,
    ...(webhooks ? { webhooks } : {}),
  };
}

/** The notify endpoint as any receiver serves it. */
export function notifyOperation(path: string): Operation {
  return {
    method: 'post',
    path,
    tag: 'notify',
    summary: 'notifyAuthorization from Alipay: verified over the raw bytes, stored, then acknowledged',
    body: NotificationSchema,
    responses: {
      '200':
        'Stored (or a duplicate, or quarantined): the acknowledgement {"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}',
      '400': 'Malformed headers or signature (HEADER_MISSING, SIGNATURE_MALFORMED, REQUEST_TIME_INVALID)',
      '401':
        'Not genuine (SIGNATURE_MISSING, INVALID_SIGNATURE, CLIENT_ID_MISMATCH, KEY_VERSION_UNKNOWN, REQUEST_TIME_OUT_OF_WINDOW)',
      '405': 'Not a POST',
      '413': 'Body over the cap (BODY_TOO_LARGE)',
      '415': 'Not application/json',
      '503': 'The store could not write: resultStatus U so Alipay retries',
    },
  };
}

/** /metrics and /openapi.json, served by the service and the sandbox alike. */
export function commonOperations(): Operation[] {
  return [
    {
      method: 'get',
      path: '/metrics',
      tag: 'health',
      summary: 'Prometheus metrics (authnotify_*)',
      responses: { '200': 'text exposition format' },
    },
    {
      method: 'get',
      path: '/openapi.json',
      tag: 'health',
      summary: 'This document',
      responses: { '200': 'OpenAPI 3.1' },
    },
  ];
}
