/**
 * The dashboard's notification pages: one notification with its masked body and headers, why it is
 * quarantined, every processing attempt and its error, the authorization it changed; and replay and
 * reprocess, each after a confirmation or from the inbox list.
 */
import type { Hono } from 'hono';
import { escapeHtml } from '../http/html.js';
import { displayId } from '../protocol/ids.js';
import type { Receiver } from '../receiver/receiver.js';
import { redactedBody } from './body-view.js';
import { csrfField, type DashboardKit, failureReason, fmt, redirectWithFlash } from './dashboard-kit.js';

export function notificationPages(receiver: Receiver) {
  const store = receiver.store;
  return (app: Hono, kit: DashboardKit): void => {
    const render = kit.render;
    const sessionOf = kit.session;
    app.get('/dashboard/inbox/:id', async (c) => {
      const r = await store.getInbox(c.req.param('id'));
      if (!r) return render(c, 'Not found', '<h1>No such notification</h1>', 404);
      let shown: string;
      try {
        const { body, note } = redactedBody(await receiver.rawBodyOf(r));
        const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2);
        shown = `<pre id="body">${escapeHtml(text)}</pre><p class="muted">${escapeHtml(note)}</p>`;
      } catch (error) {
        shown = `<p class="flash">The stored body could not be opened: ${escapeHtml((error as Error).message)}</p>`;
      }
      const headers = Object.entries(r.headers)
        .map(([name, value]) => {
          // The signature proves nothing to a reader and is long: its first characters identify it.
          const v = name.toLowerCase() === 'signature' ? `${value.slice(0, 48)}…` : value;
          return `<tr><td>${escapeHtml(name)}</td><td><code>${escapeHtml(v)}</code></td></tr>`;
        })
        .join('');
      const failed = await store.listInboxAttempts(r.id);
      const rows = failed.map(
        (a) =>
          `<tr data-outcome="${a.outcome}"><td>${a.attempt}</td><td class="muted">${fmt(a.at)}</td><td><code>${escapeHtml(displayId(a.worker))}</code></td><td>${a.outcome === 'FAILED' ? 'failed for good' : 'retried'}</td><td>${escapeHtml(a.error)}</td></tr>`,
      );
      if (r.status === 'PROCESSED' && r.processedAt)
        rows.push(
          `<tr data-outcome="PROCESSED"><td>${r.attempts}</td><td class="muted">${fmt(r.processedAt)}</td><td></td><td>processed</td><td></td></tr>`,
        );
      const attempts = rows.join('') || '<tr><td colspan="5">None yet.</td></tr>';
      const violations = (r.violations ?? [])
        .map(
          (v) =>
            `<li><code>${escapeHtml(v.path || 'body')}</code> ${escapeHtml(v.rule)}: ${escapeHtml(v.message)}</li>`,
        )
        .join('');
      const authorization = r.authorizationId
        ? `<a id="authorization" href="/dashboard/authorizations/${escapeHtml(r.authorizationId)}">authorization <code>${escapeHtml(displayId(r.authorizationId))}</code></a>`
        : 'no authorization';
      return render(
        c,
        `Notification ${r.id}`,
        `<h1>Notification <code>${escapeHtml(r.id)}</code> <span class="badge">${r.status}</span></h1>
<div class="card">Type ${escapeHtml(r.type)} · received ${fmt(r.receivedAt)} on <code>${escapeHtml(r.path)}</code> · verified over the ${r.matchedPath === 'canonical' ? 'configured notify path' : 'path it arrived on'}, keyVersion ${escapeHtml(r.keyVersion)} · duplicates ${r.duplicates}${r.lastDuplicateAt ? ` (last ${fmt(r.lastDuplicateAt)})` : ''}<br>
Processing: ${r.attempts} attempt(s)${r.processedAt ? `, processed ${fmt(r.processedAt)}` : ''}${r.nextAttemptAt && r.status === 'PENDING' ? `, next ${fmt(r.nextAttemptAt)}` : ''} · outcome ${escapeHtml(r.outcome ?? '—')} · ${authorization}${r.lastError ? `<br>Last error: <span id="error">${escapeHtml(r.lastError)}</span>` : ''}</div>
${violations ? `<h2>Why it is quarantined</h2><ul id="violations">${violations}</ul>` : ''}
<h2>Processing attempts</h2><table id="attempts"><tr><th>#</th><th>When</th><th>Worker</th><th>Outcome</th><th>Error</th></tr>${attempts}</table>
<h2>Headers</h2><table>${headers}</table>
<h2>Body</h2>${shown}`,
      );
    });

    app.get('/dashboard/inbox/:id/replay', async (c) => {
      const r = await store.getInbox(c.req.param('id'));
      if (!r) return render(c, 'Not found', '<h1>No such notification</h1>', 404);
      const s = await sessionOf(c);
      return render(
        c,
        'Replay',
        `<h1>Replay notification <code>${escapeHtml(r.id)}</code>?</h1>
<p>Your handlers for ${escapeHtml(r.type)} run again, with the same notification and outcome (${escapeHtml(r.outcome ?? '—')}); the authorization is not changed again. Handlers must be idempotent: they already ran for it.</p>
<form method="post" action="/dashboard/inbox/${escapeHtml(r.id)}/replay">${csrfField(s.csrf)}<button id="confirm-replay">Run the handlers again</button> <a href="/dashboard/inbox/${escapeHtml(r.id)}">Cancel</a></form>`,
      );
    });

    app.post('/dashboard/inbox/:id/replay', async (c) => {
      let message: string;
      try {
        const row = await receiver.replay(c.req.param('id'));
        message = `Notification ${displayId(row.id)} is queued again; its handlers run again shortly.`;
      } catch (error) {
        message = `Not replayed: ${failureReason(error)}`;
      }
      return redirectWithFlash(c, '/dashboard/inbox', message);
    });

    app.post('/dashboard/inbox/:id/reprocess', async (c) => {
      let message: string;
      try {
        const row = await receiver.reprocess(c.req.param('id'));
        message = `Notification ${displayId(row.id)} is queued again (${row.status}).`;
      } catch (error) {
        message = `Not reprocessed: ${failureReason(error)}`;
      }
      return redirectWithFlash(c, '/dashboard/inbox', message);
    });
  };
}
