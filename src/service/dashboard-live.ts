/**
 * The dashboard's live view: notifications and lifecycle changes as they happen, from the same event
 * stream `authnotify tail` follows (served here behind the dashboard's session cookie, since a browser's
 * EventSource cannot send the admin token). The page's one script has a nonce; the rest stay script-free.
 */
import type { Hono } from 'hono';
import { scriptPolicy } from '../http/security-headers.js';
import type { DashboardKit } from './dashboard-kit.js';
import { decodeStreamCursor, eventStream, type StreamCursor, type StreamDeps } from './event-stream.js';

/** At most this many live views at once per process (each reads the store while open). */
const MAX_VIEWS = 16;

const SCRIPT = `
const list = document.getElementById('live');
const state = document.getElementById('state');
const source = new EventSource('/dashboard/stream');
const add = (text, kind) => {
  const li = document.createElement('li');
  li.textContent = text;
  li.dataset.kind = kind;
  list.prepend(li);
  while (list.children.length > 200) list.lastChild.remove();
};
const when = (iso) => (iso || '').replace('T', ' ').slice(0, 19);
const short = (id) => (id && id.length > 8 ? '…' + id.slice(-8) : id || '');
source.addEventListener('open', () => { state.textContent = 'following'; });
source.addEventListener('error', () => { state.textContent = 'reconnecting…'; });
source.addEventListener('notification.received', (m) => {
  const n = JSON.parse(m.data);
  add([when(n.receivedAt), 'notification', n.type, short(n.id), n.status, n.outcome || ''].join('  '), 'notification');
});
for (const type of ['authorization.code_received', 'authorization.activated', 'authorization.refreshed',
  'authorization.canceled', 'authorization.revoked', 'authorization.expired', 'authorization.failed']) {
  source.addEventListener(type, (m) => {
    const e = JSON.parse(m.data), d = e.data;
    add([when(e.timestamp), type, 'authorization ' + short(d.id), (d.previousStatus || '—') + ' → ' + d.status,
      d.reason ? 'reason "' + d.reason + '"' : ''].join('  '), 'authorization');
  });
}
source.addEventListener('notification.quarantined', (m) => {
  const e = JSON.parse(m.data);
  add([when(e.timestamp), 'notification.quarantined', short(e.data.notificationId)].join('  '), 'quarantined');
});`;

export function livePages(deps: StreamDeps) {
  return (app: Hono, kit: DashboardKit): void => {
    let views = 0;
    app.get('/dashboard/live', (c) => {
      const nonce = crypto.randomUUID().replaceAll('-', '');
      return kit.render(
        c,
        'Live',
        `<h1>Live <span class="badge" id="state">connecting…</span></h1>
<p class="muted">Notifications as they are stored (a moment after they arrive) and every change of an authorization, newest first — what <code>authnotify tail</code> shows.</p>
<ul id="live" style="font-family:monospace;font-size:.85rem;list-style:none;padding:0"></ul>
<script nonce="${nonce}">${SCRIPT}</script>`,
        200,
        { 'Content-Security-Policy': scriptPolicy(nonce) },
      );
    });
    app.get('/dashboard/stream', async (c) => {
      if (views >= MAX_VIEWS) return c.text('too many live views are open', 429, { 'Retry-After': '5' });
      // EventSource sends the last id it got when it reconnects: go on from there.
      let cursor: StreamCursor | undefined;
      try {
        const last = c.req.header('last-event-id');
        cursor = last ? decodeStreamCursor(last) : undefined;
      } catch {
        cursor = undefined; // not one of ours: start from now
      }
      cursor ??= { events: await deps.store.events.head() };
      cursor.inbox ??= [deps.clock.now(), ''];
      views++;
      return eventStream(c, deps, cursor, {
        types: undefined,
        notifications: true,
        onEnd: () => {
          views--;
        },
      });
    });
  };
}
