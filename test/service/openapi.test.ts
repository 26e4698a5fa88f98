import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from '../../src/events/types.js';
import { createApi } from '../../src/service/api.js';
import { testReceiver } from '../helpers/receiver.js';
import { startTestSandbox } from '../helpers/sandbox.js';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string }[] }>>;
};

const described = (doc: Doc) =>
  new Set(
    Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    ),
  );
const served = (routes: readonly { method: string; path: string }[], ui: (path: string) => boolean) =>
  new Set(
    routes
      .filter((r) => r.method !== 'ALL' && !ui(r.path))
      .flatMap((r) => {
        const path = r.path.replace(/:(\w+)/g, '{$1}');
        return path.endsWith('/{op}')
          ? ['consult', 'applyToken', 'revoke', 'query'].map(
              (op) => `${r.method} ${path.replace('{op}', op)}`,
            )
          : [`${r.method} ${path}`];
      }),
  );

describe('OpenAPI documents describe every route', () => {
  it('service: every API route, the landing and the notify endpoint; bodies and queries from the validating schemas', async () => {
    const t = await testReceiver();
    const app = createApi({ receiver: t.receiver, adminToken: 'x'.repeat(32) });
    const doc = (await (await app.request('/openapi.json')).json()) as Doc;
    expect(doc.openapi).toBe('3.1.0');
    // Pages for people (the dashboard, and the root that leads to it) are not API routes.
    const routes = served(
      app.routes,
      (p) => p.startsWith('/dashboard') || p === '/' || p === '/*' || p === '/api/v1/*',
    );
    routes.add('POST /alipay/notify/authorization'); // served by the node server before the router
    expect([...described(doc)].sort()).toEqual([...routes].sort());
    expect(doc.paths['/api/v1/authorizations']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/api/v1/notifications']?.get?.parameters?.map((p) => p.name)).toEqual(
      expect.arrayContaining(['status', 'type', 'limit', 'cursor']),
    );
    expect(JSON.stringify(doc.paths['/alipay/notify/authorization'])).toContain('TOKEN_CANCELED');
    // What a forwarding destination receives: every event type, with its payload's schema.
    const webhooks = (
      doc as unknown as {
        webhooks: Record<
          string,
          {
            post: {
              requestBody: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
            };
          }
        >;
      }
    ).webhooks;
    expect(Object.keys(webhooks).sort()).toEqual([...EVENT_TYPES].sort());
    const canceled = webhooks['authorization.canceled']?.post.requestBody.content['application/json']?.schema;
    expect(Object.keys(canceled?.properties ?? {})).toEqual(['type', 'timestamp', 'data']);
  });

  it('sandbox: the Alipay API (both prefixes) and the control API', async () => {
    const sandbox = await startTestSandbox();
    try {
      const doc = (await (await fetch(`${sandbox.url}/openapi.json`)).json()) as Doc;
      const ui = (p: string) =>
        p === '/' ||
        p.startsWith('/wallet/') ||
        p.startsWith('/sandbox/deliveries') ||
        p.startsWith('/sandbox/faults'); // the HTML pages and their forms
      expect([...described(doc)].sort()).toEqual([...served(sandbox.routes, ui)].sort());
      expect(JSON.stringify(doc.paths['/ams/api/v1/authorizations/consult'])).toContain('authRedirectUrl');
    } finally {
      await sandbox.close();
    }
  });
});
