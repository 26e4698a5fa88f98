/**
 * The dashboard's search: what an operator types or picks, turned into store filters, and the form that
 * shows them again. Times are entered and shown in UTC.
 */
import { Outcome } from '../authorization/lifecycle.js';
import { escapeHtml } from '../http/html.js';
import { maskLoginId } from '../protocol/mask.js';
import { NOTIFY_TYPES } from '../protocol/notification.js';
import { INBOX_STATUSES, type InboxFilter, type InboxStatus } from '../store/types.js';

/** `2026-12-01T10:00` (a datetime-local value, read as UTC) to epoch ms; undefined when empty or invalid. */
function utcMinute(value: string | undefined): number | undefined {
  if (!value || !/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?$/.test(value)) return undefined;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}

const pick = <T extends string>(value: string | undefined, allowed: readonly T[]): T | undefined =>
  (allowed as readonly string[]).includes(value ?? '') ? (value as T) : undefined;

export interface InboxSearch {
  /** An id typed in the search box: show that notification. */
  id: string | undefined;
  filter: Pick<InboxFilter, 'status' | 'type' | 'outcome' | 'receivedFrom' | 'receivedTo'>;
  /** The search as query parameters, for page links. */
  params: Record<string, string>;
  form: string;
}

export function inboxSearch(query: Record<string, string>): InboxSearch {
  const status = pick<InboxStatus>(query.status, INBOX_STATUSES);
  const type = pick(query.type, NOTIFY_TYPES);
  const outcome = pick(query.outcome, Object.values(Outcome));
  const from = utcMinute(query.from);
  const to = utcMinute(query.to);
  const params: Record<string, string> = {};
  if (status) params.status = status;
  if (type) params.type = type;
  if (outcome) params.outcome = outcome;
  if (from !== undefined) params.from = query.from as string;
  if (to !== undefined) params.to = query.to as string;
  const select = (name: string, values: readonly string[], current: string | undefined, any: string) =>
    `<select name="${name}"><option value="">${any}</option>${values.map((v) => `<option ${v === current ? 'selected' : ''} value="${v}">${v}</option>`).join('')}</select>`;
  const form = `<form method="get" action="/dashboard/inbox" id="search"><input name="id" placeholder="notification id" size="20">
${select('type', NOTIFY_TYPES, type, 'any type')} ${select('status', INBOX_STATUSES, status, 'any status')} ${select('outcome', Object.values(Outcome), outcome, 'any outcome')}
<label>from <input type="datetime-local" name="from" value="${escapeHtml(params.from ?? '')}"></label> <label>to <input type="datetime-local" name="to" value="${escapeHtml(params.to ?? '')}"></label> <span class="muted">UTC</span>
<button class="secondary">Search</button></form>`;
  const id = query.id?.trim() || undefined;
  return { id, filter: { status, type, outcome, receivedFrom: from, receivedTo: to }, params, form };
}

/** What the authorizations search box holds: an id, a wallet login (searched masked), or a merchant user id / authState. */
export function authorizationQuery(
  q: string | undefined,
):
  | { kind: 'none' }
  | { kind: 'id'; id: string }
  | { kind: 'login'; masked: string }
  | { kind: 'text'; text: string } {
  const text = q?.trim();
  if (!text) return { kind: 'none' };
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text))
    return { kind: 'id', id: text };
  if (text.includes('@') || /^\+?\d[\d -]{5,}$/.test(text)) {
    const masked = maskLoginId(text); // masked the way the receiver masked the stored login
    if (masked) return { kind: 'login', masked };
  }
  return { kind: 'text', text };
}
