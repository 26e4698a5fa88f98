/**
 * The dashboard's forwarding pages: destinations with their state and delivery counts, a destination's
 * deliveries, a delivery's attempt log (time, answer, latency, first bytes), and the buttons to pause,
 * resume and deliver again — each redelivery after a confirmation.
 */
import type { Context, Hono } from 'hono';
import { escapeHtml } from '../http/html.js';
import { displayId } from '../protocol/ids.js';
import { FORWARD_STATUSES, type ForwardStatus } from '../store/event-types.js';
import type { Store } from '../store/types.js';
import {
  csrfField,
  type DashboardKit,
  failureReason,
  flashBanner,
  fmt,
  redirectWithFlash,
} from './dashboard-kit.js';
import type { Destinations } from './destinations.js';

const PAGE_SIZE = 50;

const idLink = (href: string, id: string) =>
  `<a href="${escapeHtml(href)}"><code title="${escapeHtml(id)}">${escapeHtml(displayId(id))}</code></a>`;

export function destinationPages(store: Store, destinations: Destinations, nudge: () => void) {
  return (app: Hono, kit: DashboardKit): void => {
    const flashOf = (c: Context) => flashBanner(c.req.query('flash'));

    app.get('/dashboard/destinations', async (c) => {
      const s = await kit.session(c);
      const counts = new Map<string, Record<string, number>>();
      for (const n of await store.events.countDeliveries()) {
        const row = counts.get(n.destinationId) ?? {};
        row[n.status] = n.count;
        counts.set(n.destinationId, row);
      }
      const oldest = await store.events.oldestUndelivered();
      const rows = (await store.events.listDestinations())
        .map((d) => {
          const n = counts.get(d.id) ?? {};
          const tally = FORWARD_STATUSES.filter((st) => n[st])
            .map((st) => `${st} ${n[st]}`)
            .join(' · ');
          const action =
            d.status === 'ACTIVE'
              ? `<form method="post" action="/dashboard/destinations/${escapeHtml(d.id)}/pause">${csrfField(s.csrf)}<button class="secondary">Pause</button></form>`
              : `<form method="post" action="/dashboard/destinations/${escapeHtml(d.id)}/resume">${csrfField(s.csrf)}<button class="secondary">Resume</button></form>`;
          return `<tr data-status="${d.status}"><td>${idLink(`/dashboard/destinations/${d.id}`, d.id)}</td><td><code>${escapeHtml(d.url)}</code></td><td><span class="badge">${d.status}</span>${d.disabledReason ? `<br><span class="muted">${escapeHtml(d.disabledReason)}</span>` : ''}</td><td>${escapeHtml(d.types?.join(', ') ?? 'every type')}</td><td>${escapeHtml(tally || 'none yet')}</td><td>${action}</td></tr>`;
        })
        .join('');
      return kit.render(
        c,
        'Forwarding',
        `<h1>Forwarding</h1>${flashOf(c)}<div class="card">Events go to each destination below, signed per Standard Webhooks. Oldest event still waiting: ${oldest === null ? 'none' : fmt(oldest)}. Add destinations with <code>--forward-to</code> or <code>POST /api/v1/destinations</code>.</div>
<table id="destinations"><tr><th>Id</th><th>URL</th><th>Status</th><th>Types</th><th>Deliveries</th><th></th></tr>${rows || '<tr><td colspan="6">No destinations.</td></tr>'}</table>`,
      );
    });

    for (const [verb, run] of [
      ['pause', (id: string) => destinations.pause(id)],
      ['resume', (id: string) => destinations.resume(id)],
    ] as const) {
      app.post(`/dashboard/destinations/:id/${verb}`, async (c) => {
        try {
          const d = await run(c.req.param('id'));
          nudge();
          return redirectWithFlash(
            c,
            '/dashboard/destinations',
            `Destination ${displayId(d.id)} is ${d.status}.`,
          );
        } catch (error) {
          return redirectWithFlash(c, '/dashboard/destinations', `Not done: ${failureReason(error)}`);
        }
      });
    }

    app.get('/dashboard/destinations/:id', async (c) => {
      const d = await store.events.getDestination(c.req.param('id'));
      if (!d) return kit.render(c, 'Not found', '<h1>No such destination</h1>', 404);
      const status = (FORWARD_STATUSES as readonly string[]).includes(c.req.query('status') ?? '')
        ? (c.req.query('status') as ForwardStatus)
        : undefined;
      const path = `/dashboard/destinations/${d.id}`;
      let listed: Awaited<ReturnType<typeof store.events.listDeliveries>>;
      try {
        listed = await store.events.listDeliveries({
          destinationId: d.id,
          status,
          limit: PAGE_SIZE,
          cursor: c.req.query('cursor') || undefined,
        });
      } catch (error) {
        return kit.badPageLink(c, error, 'Destination', path);
      }
      const rows = listed.items
        .map(
          (x) =>
            `<tr data-status="${x.status}"><td>${idLink(`/dashboard/deliveries/${x.id}`, x.id)}</td><td>${escapeHtml(x.eventType)}</td><td><span class="badge">${x.status}</span></td><td>${x.run}/${x.attempts}</td><td>${escapeHtml(x.lastHttpStatus ?? '')} ${escapeHtml(x.lastVerdict ?? '')}</td><td class="muted">${fmt(x.createdAt)}</td><td class="muted">${fmt(x.nextAttemptAt)}</td></tr>`,
        )
        .join('');
      const filters = ['', ...FORWARD_STATUSES]
        .map((st) => `<a href="${path}${st ? `?status=${st}` : ''}">${st || 'all'}</a>`)
        .join(' · ');
      const more = listed.nextCursor
        ? `<p><a id="older" href="${path}?${new URLSearchParams({ ...(status ? { status } : {}), cursor: listed.nextCursor })}">Older →</a></p>`
        : '';
      const since = new Date(Date.now() - 86_400_000).toISOString().slice(0, 16);
      return kit.render(
        c,
        `Destination ${d.id}`,
        `<h1>Destination <code>${escapeHtml(displayId(d.id))}</code> <span class="badge" id="status">${d.status}</span></h1>${flashOf(c)}
<div class="card"><code>${escapeHtml(d.url)}</code> · ${escapeHtml(d.types?.join(', ') ?? 'every type')} · ${d.secrets.length} signing secret(s) · from ${d.source === 'config' ? '--forward-to' : 'the admin API'}${d.failingSince ? `<br>Failing since ${fmt(d.failingSince)}` : ''}${d.disabledReason ? `<br>${escapeHtml(d.disabledReason)}` : ''}</div>
<form method="get" action="/dashboard/destinations/${escapeHtml(d.id)}/redeliver-failed">Deliver again every EXHAUSTED event made since <input type="datetime-local" name="since" value="${since}"> (UTC) <button class="secondary">Review…</button></form>
<p>${filters}</p>
<table id="deliveries"><tr><th>Delivery</th><th>Event</th><th>Status</th><th>Run/attempts</th><th>Last answer</th><th>Made</th><th>Next</th></tr>${rows || '<tr><td colspan="7">None.</td></tr>'}</table>${more}`,
      );
    });

    app.get('/dashboard/destinations/:id/redeliver-failed', async (c) => {
      const d = await store.events.getDestination(c.req.param('id'));
      if (!d) return kit.render(c, 'Not found', '<h1>No such destination</h1>', 404);
      const since = Date.parse(`${c.req.query('since') ?? ''}Z`);
      if (!Number.isFinite(since))
        return kit.render(
          c,
          'Deliver again',
          '<h1>Deliver again</h1><p class="flash">Give a date and time.</p>',
          400,
        );
      const exhausted = await store.events.listDeliveries({
        destinationId: d.id,
        status: 'EXHAUSTED',
        limit: 200,
      });
      const n = exhausted.items.filter((x) => x.eventCreatedAt >= since).length;
      const s = await kit.session(c);
      return kit.render(
        c,
        'Deliver again',
        `<h1>Deliver again to <code>${escapeHtml(d.url)}</code>?</h1>
<p>Every EXHAUSTED event made since ${fmt(since)} (${n}${exhausted.nextCursor ? ' or more' : ''}) starts a new run of attempts now, with the same webhook-id: your endpoint must accept an event it may have seen.</p>
<form method="post" action="/dashboard/destinations/${escapeHtml(d.id)}/redeliver-failed">${csrfField(s.csrf)}<input type="hidden" name="since" value="${since}"><button id="confirm-redeliver">Deliver them again</button> <a href="/dashboard/destinations/${escapeHtml(d.id)}">Cancel</a></form>`,
      );
    });

    app.post('/dashboard/destinations/:id/redeliver-failed', async (c) => {
      const id = c.req.param('id');
      const since = Number((await c.req.parseBody()).since);
      const path = `/dashboard/destinations/${id}`;
      if (!Number.isFinite(since)) return redirectWithFlash(c, path, 'Not done: no time given');
      const n = await store.events.redeliverFailed(id, since, Date.now());
      nudge();
      return redirectWithFlash(c, path, `${n} event(s) are being delivered again.`);
    });

    app.get('/dashboard/deliveries/:id', async (c) => {
      const x = await store.events.getDelivery(c.req.param('id'));
      if (!x) return kit.render(c, 'Not found', '<h1>No such delivery</h1>', 404);
      const attempts = (await store.events.listDeliveryAttempts(x.id))
        .map(
          (a) =>
            `<tr><td>${a.run}.${a.number}</td><td class="muted">${fmt(a.startedAt)}</td><td>${escapeHtml(a.httpStatus ?? '—')}</td><td>${escapeHtml(a.verdict)}</td><td>${a.finishedAt - a.startedAt} ms</td><td><code>${escapeHtml(a.errorClass ?? (a.responseExcerpt ?? '').slice(0, 200))}</code></td></tr>`,
        )
        .join('');
      const redeliver =
        x.status === 'DELIVERING'
          ? '<p class="muted">An attempt is under way.</p>'
          : `<p><a id="redeliver" href="/dashboard/deliveries/${escapeHtml(x.id)}/redeliver">Deliver again…</a></p>`;
      return kit.render(
        c,
        `Delivery ${x.id}`,
        `<h1>Delivery <code>${escapeHtml(displayId(x.id))}</code> <span class="badge" id="status">${x.status}</span></h1>${flashOf(c)}
<div class="card">${escapeHtml(x.eventType)} event <code>${escapeHtml(x.eventId)}</code> (its webhook-id) to destination ${idLink(`/dashboard/destinations/${x.destinationId}`, x.destinationId)} · made ${fmt(x.createdAt)}${x.deliveredAt ? ` · delivered ${fmt(x.deliveredAt)}` : ''}${x.nextAttemptAt ? ` · next attempt ${fmt(x.nextAttemptAt)}` : ''}</div>
${redeliver}
<h2>Attempts</h2><table id="attempts"><tr><th>Run.#</th><th>Started</th><th>Status</th><th>Verdict</th><th>Latency</th><th>Answer (first bytes)</th></tr>${attempts || '<tr><td colspan="6">None yet.</td></tr>'}</table>`,
      );
    });

    app.get('/dashboard/deliveries/:id/redeliver', async (c) => {
      const x = await store.events.getDelivery(c.req.param('id'));
      if (!x) return kit.render(c, 'Not found', '<h1>No such delivery</h1>', 404);
      const s = await kit.session(c);
      return kit.render(
        c,
        'Deliver again',
        `<h1>Deliver event <code>${escapeHtml(displayId(x.eventId))}</code> again?</h1>
<p>A new run of attempts starts now, with the same webhook-id (${escapeHtml(x.eventId)}); it is ${x.status} now. Your endpoint must accept an event it may have seen.</p>
<form method="post" action="/dashboard/deliveries/${escapeHtml(x.id)}/redeliver">${csrfField(s.csrf)}<button id="confirm-redeliver">Deliver it again</button> <a href="/dashboard/deliveries/${escapeHtml(x.id)}">Cancel</a></form>`,
      );
    });

    app.post('/dashboard/deliveries/:id/redeliver', async (c) => {
      const id = c.req.param('id');
      const d = await store.events.redeliver(id, Date.now());
      nudge();
      return redirectWithFlash(
        c,
        `/dashboard/deliveries/${id}`,
        d
          ? `Delivering again (run ${d.run}).`
          : 'Not done: an attempt is under way, or there is no such delivery.',
      );
    });
  };
}
