import type { Context, Hono } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { AUTHORIZATION_STATUSES, type AuthorizationStatus } from '../authorization/types.js';
import { toAuthorizationView } from '../authorization/view.js';
import { escapeHtml, page } from '../http/html.js';
import { timingSafeEqualString } from '../protocol/bytes.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { displayId } from '../protocol/ids.js';
import type { Logger } from '../protocol/logger.js';
import type { ReceiverObserver } from '../receiver/ports.js';
import type { Receiver } from '../receiver/receiver.js';
import { INBOX_STATUSES } from '../store/types.js';
import type { AdminGate } from './admin-auth.js';
import type { ClientAddress } from './client-address.js';
import { activityChart, rejectionsChart } from './dashboard-chart.js';
import { csrfField, type DashboardKit, flashBanner, fmt } from './dashboard-kit.js';
import { authorizationQuery, inboxSearch } from './dashboard-search.js';
import { type Session, SessionCookies } from './dashboard-session.js';
import type { SignInLinks } from './sign-in-links.js';

const COOKIE = 'authnotify_session';
const SESSION_MS = 8 * 3_600_000;
/** How far back the home page's activity chart looks. */
const ACTIVITY_WINDOW_MS = 3 * 3_600_000;
/** Rows per dashboard page; older rows are a link away (cursor pagination, no cap). */
const PAGE_SIZE = 50;
const BANNER = 'authnotify — operator dashboard';

/** Rejections of the last hour by code, for the health strip. */
export class RecentRejections {
  readonly #events: { at: number; code: string }[] = [];
  readonly observer: ReceiverObserver = {
    received: (outcome, code) => {
      if (outcome !== 'rejected' || !code) return;
      this.#events.push({ at: Date.now(), code });
      if (this.#events.length > 10_000) this.#events.splice(0, this.#events.length - 10_000);
    },
  };
  byCode(now = Date.now()): Record<string, number> {
    const out: Record<string, number> = {};
    for (const e of this.#events) if (now - e.at < 3_600_000) out[e.code] = (out[e.code] ?? 0) + 1;
    return out;
  }
}

export function mountDashboard(
  app: Hono,
  options: {
    receiver: Receiver;
    gate: AdminGate;
    /** The admin token: sessions are signed for it, so changing it ends them. */
    adminToken: string;
    /** One-time sign-in links (`authnotify dev`): `/dashboard/login?code=…` signs in once. */
    signInLinks?: SignInLinks | undefined;
    rejections: RecentRejections;
    clientOf: (c: Context) => ClientAddress;
    logger: Logger;
    /** More pages behind the same sign-in (the forwarding pages). */
    pages?: ((app: Hono, kit: DashboardKit) => void)[];
  },
): void {
  const { receiver } = options;
  const store = receiver.store;
  const cookies = new SessionCookies(receiver.secrets, options.adminToken, SESSION_MS);
  const sessionOf = (c: Context): Promise<Session | undefined> =>
    cookies.read(getCookie(c, COOKIE), Date.now());
  const render = async (
    c: Context,
    title: string,
    body: string,
    status = 200,
    headers: Record<string, string> = {},
  ) => {
    const s = await sessionOf(c);
    const nav = s
      ? `<nav><a href="/dashboard">Authorizations</a><a href="/dashboard/inbox">Inbox</a><a href="/dashboard/destinations">Forwarding</a><a href="/dashboard/live">Live</a>
<form method="post" action="/dashboard/logout" style="display:inline">${csrfField(s.csrf)}<button class="secondary">Sign out</button></form></nav>`
      : '';
    // Operational data: never kept by browsers or proxies.
    return c.html(page(title, `${nav}${body}`, BANNER), status as 200, {
      'Cache-Control': 'no-store',
      ...headers,
    });
  };
  /** A list asked for with a cursor the store refuses (altered or from another list): say so, 400. */
  const badPageLink = (c: Context, error: unknown, title: string, path: string) => {
    if (!(error instanceof AuthNotifyError && error.code === 'PARAM_ILLEGAL')) throw error;
    const body = `<h1>${title}</h1><p class="flash">That page link is not valid; <a href="${path}">start again</a>.</p>`;
    return render(c, title, body, 400);
  };
  const csrfOk = async (c: Context): Promise<boolean> => {
    const s = await sessionOf(c);
    const form = await c.req.parseBody();
    return s !== undefined && typeof form.csrf === 'string' && timingSafeEqualString(form.csrf, s.csrf);
  };

  const startSession = async (c: Context) => {
    const { value } = await cookies.issue(Date.now());
    setCookie(c, COOKIE, value, {
      httpOnly: true,
      sameSite: 'Strict',
      // Over HTTPS (directly, or through a trusted proxy) the cookie never travels in clear.
      secure: options.clientOf(c).https,
      path: '/dashboard',
      maxAge: SESSION_MS / 1000,
    });
    return c.redirect('/dashboard', 303);
  };
  const signInForm = (flash = '') =>
    `<h1>Sign in</h1>${flash}<form method="post" action="/dashboard/login"><p><label>Admin token <input type="password" name="token" id="token" size="40" autocomplete="off"></label></p><button id="signin">Sign in</button></form>`;

  app.get('/dashboard/login', async (c) => {
    const code = c.req.query('code');
    if (code !== undefined) {
      if (options.signInLinks?.consume(code, Date.now())) return startSession(c);
      const flash = '<p class="flash">That sign-in link was used already or has expired.</p>';
      return render(c, 'Sign in', signInForm(flash), 401);
    }
    return render(c, 'Sign in', signInForm());
  });
  app.post('/dashboard/login', async (c) => {
    const source = options.clientOf(c).address;
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? form.token : '';
    const verdict = options.gate.check(source, token, { path: c.req.path, via: 'dashboard sign-in' });
    if (!verdict.ok && verdict.retryAfter > 0)
      return render(
        c,
        'Sign in',
        `<h1>Too many attempts</h1><p>Try again in ${verdict.retryAfter} s.</p>`,
        429,
      );
    if (!verdict.ok) {
      return render(
        c,
        'Sign in',
        '<h1>Sign in</h1><p class="flash">That token is not the admin token.</p><p><a href="/dashboard/login">Try again</a></p>',
        401,
      );
    }
    return startSession(c);
  });

  app.use('/dashboard/*', async (c, next) => {
    if (c.req.path === '/dashboard/login') return next();
    if (!(await sessionOf(c))) return c.redirect('/dashboard/login', 303);
    if (c.req.method === 'POST' && !(await csrfOk(c))) {
      return render(
        c,
        'Refused',
        '<h1>Refused</h1><p>The form did not carry this session’s CSRF token. Reload the page and try again.</p>',
        403,
      );
    }
    return next();
  });
  app.get('/dashboard', (c) => c.redirect('/dashboard/authorizations', 303));
  const kit: DashboardKit = {
    render,
    session: async (c) => (await sessionOf(c)) as Session,
    badPageLink,
  };
  for (const mount of options.pages ?? []) mount(app, kit);

  app.post('/dashboard/logout', (c) => {
    // Signed cookies live in the browser: signing out forgets it there (changing the admin token ends all).
    deleteCookie(c, COOKIE, { path: '/dashboard' });
    return c.redirect('/dashboard/login', 303);
  });

  app.get('/dashboard/authorizations', async (c) => {
    const status = c.req.query('status');
    const q = c.req.query('q')?.trim();
    const statusFilter = (AUTHORIZATION_STATUSES as readonly string[]).includes(status ?? '')
      ? (status as AuthorizationStatus)
      : undefined;
    const cursor = c.req.query('cursor') || undefined;
    const asked = authorizationQuery(q);
    if (asked.kind === 'id' && (await store.getAuthorization(asked.id)))
      return c.redirect(`/dashboard/authorizations/${encodeURIComponent(asked.id)}`, 303);
    let listed: Awaited<ReturnType<typeof store.listAuthorizations>>;
    try {
      const base = { status: statusFilter, limit: PAGE_SIZE, cursor };
      if (asked.kind === 'login')
        listed = await store.listAuthorizations({ ...base, userLoginIdMasked: asked.masked });
      else {
        const text = asked.kind === 'text' ? asked.text : undefined;
        listed = await store.listAuthorizations({ ...base, merchantUserId: text });
        if (text && listed.items.length === 0 && !cursor)
          listed = await store.listAuthorizations({
            status: statusFilter,
            authState: text,
            limit: PAGE_SIZE,
          });
      }
    } catch (error) {
      return badPageLink(c, error, 'Authorizations', '/dashboard/authorizations');
    }
    const items = listed.items;
    const more = listed.nextCursor
      ? `<p><a id="older" href="/dashboard/authorizations?${new URLSearchParams({ ...(statusFilter ? { status: statusFilter } : {}), ...(q ? { q } : {}), cursor: listed.nextCursor })}">Older →</a></p>`
      : '';
    const counts = await store.countInbox();
    const rejections = options.rejections.byCode();
    const now = Date.now();
    const since = now - ACTIVITY_WINDOW_MS;
    const activity = await store.inboxActivity(since, 60_000);
    const health = `<div class="card" id="health">Inbox: ${INBOX_STATUSES.map((s) => `${s} <strong>${counts[s]}</strong>`).join(' · ')}
${activityChart(activity, since, now, 60_000)}${rejectionsChart(rejections)}</div>`;
    const options_ = ['', ...AUTHORIZATION_STATUSES]
      .map((s) => `<option ${s === status ? 'selected' : ''} value="${s}">${s || 'any status'}</option>`)
      .join('');
    const rows = items
      .map((a) => {
        const v = toAuthorizationView(a);
        return `<tr data-status="${v.status}"><td><a href="/dashboard/authorizations/${escapeHtml(v.id)}"><code title="${escapeHtml(v.id)}">${escapeHtml(displayId(v.id))}</code></a></td><td><span class="badge">${v.status}</span></td><td>${escapeHtml(v.merchantUserId)}</td><td>${escapeHtml(v.userLoginId)}</td><td>${escapeHtml(v.reason)}</td><td class="muted">${fmt(v.updatedAt)}</td></tr>`;
      })
      .join('');
    return render(
      c,
      'Authorizations',
      `<h1>Authorizations</h1>${health}
<form method="get"><select name="status">${options_}</select> <input name="q" placeholder="id, merchant user id, authState or wallet login" value="${escapeHtml(q ?? '')}" size="30"> <button class="secondary">Filter</button></form>
<table><tr><th>Id</th><th>Status</th><th>Merchant user</th><th>Wallet login</th><th>Reason</th><th>Updated</th></tr>${rows || '<tr><td colspan="6">None.</td></tr>'}</table>${more}`,
    );
  });

  app.get('/dashboard/authorizations/:id', async (c) => {
    const a = await store.getAuthorization(c.req.param('id'));
    if (!a) return render(c, 'Not found', '<h1>No such authorization</h1>', 404);
    const v = toAuthorizationView(a);
    const events = await store.timeline(a.id);
    // The notifications that moved it, as its timeline names them (newest first).
    const inboxIds = [...new Set(events.flatMap((e) => (e.inboxId ? [e.inboxId] : [])))].reverse();
    const notifications = (await Promise.all(inboxIds.map((id) => store.getInbox(id))))
      .flatMap((r) =>
        r
          ? [
              `<tr><td><a href="/dashboard/inbox/${escapeHtml(r.id)}"><code title="${escapeHtml(r.id)}">${escapeHtml(displayId(r.id))}</code></a></td><td>${escapeHtml(r.type)}</td><td><span class="badge">${r.status}</span></td><td>${escapeHtml(r.outcome)}</td><td>${r.duplicates}</td><td class="muted">${fmt(r.receivedAt)}</td></tr>`,
            ]
          : [],
      )
      .join('');
    const timeline = events
      .map(
        (e) =>
          `<tr><td class="muted">${fmt(e.at)}</td><td>${escapeHtml(e.kind)}</td><td>${escapeHtml(e.from ?? '—')} → ${escapeHtml(e.to ?? '—')}</td><td>${escapeHtml(e.detail)}</td><td>${e.inboxId ? `<a href="/dashboard/inbox/${escapeHtml(e.inboxId)}">notification</a>` : ''}</td></tr>`,
      )
      .join('');
    return render(
      c,
      `Authorization ${v.id}`,
      `<h1>Authorization <code>${escapeHtml(v.id)}</code> <span class="badge" id="status">${v.status}</span></h1>
<div class="card">Merchant user: ${escapeHtml(v.merchantUserId)} · Wallet login: ${escapeHtml(v.userLoginId)} · Wallet user id: ${escapeHtml(v.userId)}<br>
Reason: <span id="reason">${escapeHtml(v.reason)}</span> · Created ${fmt(v.createdAt)} · Updated ${fmt(v.updatedAt)}</div>
<h2>Timeline</h2><table><tr><th>When</th><th>Event</th><th>Status</th><th>Detail</th><th></th></tr>${timeline || '<tr><td colspan="5">No events yet.</td></tr>'}</table>
<h2>Notifications</h2><table id="notifications"><tr><th>Id</th><th>Type</th><th>Status</th><th>Outcome</th><th>Dup.</th><th>Received</th></tr>${notifications || '<tr><td colspan="6">None: it changed through the flow only.</td></tr>'}</table>`,
    );
  });

  app.get('/dashboard/inbox', async (c) => {
    const search = inboxSearch(c.req.query());
    if (search.id) {
      const found = await store.getInbox(search.id);
      if (found) return c.redirect(`/dashboard/inbox/${encodeURIComponent(found.id)}`, 303);
    }
    const s = (await sessionOf(c)) as Session;
    const flash = search.id ? `No notification has the id ${search.id}.` : c.req.query('flash');
    const cursor = c.req.query('cursor') || undefined;
    let listed: Awaited<ReturnType<typeof store.listInbox>>;
    try {
      listed = await store.listInbox({ ...search.filter, limit: PAGE_SIZE, cursor });
    } catch (error) {
      return badPageLink(c, error, 'Inbox', '/dashboard/inbox');
    }
    const rows = listed.items
      .map((r) => {
        const action =
          r.status === 'QUARANTINED' || r.status === 'FAILED'
            ? `<form method="post" action="/dashboard/inbox/${escapeHtml(r.id)}/reprocess">${csrfField(s.csrf)}<button class="secondary">Reprocess</button></form>`
            : r.status === 'PROCESSED'
              ? `<a href="/dashboard/inbox/${escapeHtml(r.id)}/replay">Replay…</a>`
              : '';
        const why =
          r.violations?.map((v) => `${v.path || 'body'}: ${v.rule}`).join(', ') ?? r.lastError ?? '';
        return `<tr data-status="${r.status}"><td><a href="/dashboard/inbox/${escapeHtml(r.id)}"><code title="${escapeHtml(r.id)}">${escapeHtml(displayId(r.id))}</code></a></td><td>${escapeHtml(r.type)}</td><td><span class="badge">${r.status}</span></td><td>${r.duplicates}</td><td>${escapeHtml(r.outcome)}</td><td>${escapeHtml(why)}</td><td class="muted">${fmt(r.receivedAt)}</td><td>${action}</td></tr>`;
      })
      .join('');
    const links = ['', 'QUARANTINED', 'FAILED', 'PENDING', 'PROCESSED']
      .map((st) => `<a href="/dashboard/inbox${st ? `?status=${st}` : ''}">${st || 'all'}</a>`)
      .join(' · ');
    const more = listed.nextCursor
      ? `<p><a id="older" href="/dashboard/inbox?${new URLSearchParams({ ...search.params, cursor: listed.nextCursor })}">Older →</a></p>`
      : '';
    return render(
      c,
      'Inbox',
      `<h1>Inbox</h1>${flashBanner(flash)}<p>${links}</p>${search.form}
<table><tr><th>Id</th><th>Type</th><th>Status</th><th>Dup.</th><th>Outcome</th><th>Why</th><th>Received</th><th></th></tr>${rows || '<tr><td colspan="8">None.</td></tr>'}</table>${more}`,
    );
  });
}
