/**
 * The demo merchant for `authnotify dev`: a page with "Connect Alipay" that starts an authorization through
 * the service's API, the page the wallet sends the person back to, and the authorizations with their status.
 */
import { createServer, type Server } from 'node:http';
import { escapeHtml, page } from '../../http/html.js';
import { displayId } from '../../protocol/ids.js';

export interface DemoOptions {
  serviceUrl: string;
  sandboxUrl: string;
  adminToken: string;
}

interface AuthorizationItem {
  id: string;
  status: string;
  userLoginId: string | null;
  reason: string | null;
  updatedAt: string;
}

export function createDemoServer(options: DemoOptions): Server {
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${options.serviceUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${options.adminToken}`, 'content-type': 'application/json' },
    });
  let base = '';
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://demo.local');
      base ||= `http://${req.headers.host}`;
      if (req.method === 'POST' && url.pathname === '/connect') {
        req.resume();
        const started = await api('/api/v1/authorizations', {
          method: 'POST',
          body: JSON.stringify({
            merchantUserId: 'demo-user',
            scopes: ['AGREEMENT_PAY'],
            terminalType: 'WEB',
            redirectUrl: `${base}/done`,
          }),
        });
        const body = (await started.json()) as { normalUrl?: string; error?: { message: string } };
        if (!started.ok || !body.normalUrl) {
          res
            .writeHead(502, { 'content-type': 'text/html; charset=utf-8' })
            .end(page('Error', `<h1>Could not start</h1><p>${escapeHtml(body.error?.message)}</p>`));
          return;
        }
        res.writeHead(303, { location: body.normalUrl }).end();
        return;
      }
      const list = (await (await api('/api/v1/authorizations?limit=20')).json()) as {
        items: AuthorizationItem[];
      };
      const rows = list.items
        .map(
          (a) =>
            `<tr data-status="${escapeHtml(a.status)}"><td><code title="${escapeHtml(a.id)}">${escapeHtml(displayId(a.id))}</code></td><td><span class="badge">${escapeHtml(a.status)}</span></td><td>${escapeHtml(a.userLoginId)}</td><td>${escapeHtml(a.reason)}</td><td class="muted">${escapeHtml(a.updatedAt)}</td></tr>`,
        )
        .join('');
      const banner =
        url.pathname === '/done'
          ? `<div class="card" id="result">Authorization <code>${escapeHtml(url.searchParams.get('authorizationId'))}</code> is <strong>${escapeHtml(url.searchParams.get('status'))}</strong>.</div>`
          : '';
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
        page(
          'Demo merchant',
          `<h1>Demo merchant</h1>${banner}
<form method="post" action="/connect"><button id="connect">Connect Alipay</button></form>
<h2>Authorizations</h2><table><tr><th>Id</th><th>Status</th><th>Wallet login</th><th>Reason</th><th>Updated</th></tr>${rows || '<tr><td colspan="5">None yet.</td></tr>'}</table>
<p class="muted"><a href="${escapeHtml(options.sandboxUrl)}/wallet/account">Wallet account page</a> (cancel an authorization there) ·
<a href="${escapeHtml(options.sandboxUrl)}/sandbox/deliveries">Notification deliveries</a></p>`,
        ),
      );
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`demo error: ${(error as Error).message}`);
    });
  });
  return server;
}
