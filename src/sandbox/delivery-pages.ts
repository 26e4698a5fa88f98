/**
 * The sandbox's delivery pages: every delivery drawn against its schedule (Alipay's eight slots unless
 * configured otherwise) with each attempt's due and actual time, answer and verdict; a page per delivery;
 * and the fault switches, each with a line saying what it does, a summary of what is on, and Clear.
 */
import { escapeHtml } from '../http/html.js';
import { displayId } from '../protocol/ids.js';
import { formatDuration } from '../protocol/request-time.js';
import type { AttemptRecord, OutboxRecord } from '../store/types.js';
import type { FaultSettings } from './faults.js';

/** What each fault switch does, in one line. */
export const FAULT_DESCRIPTIONS: Record<keyof FaultSettings, [label: string, description: string]> = {
  dropAcks: [
    'drop next acks',
    'Treat the next N acknowledgements as lost, so that the notification is sent again.',
  ],
  delayMs: ['delay ms', 'Wait this long before every delivery (stays until cleared).'],
  duplicates: ['duplicates', 'Deliver each of the next N notifications twice, a second apart.'],
  concurrent: ['concurrent copies', 'Deliver each of the next N notifications three times at once.'],
  reorder: ['reorder', 'Hold the next notification back 2 s, so that the one after it arrives first.'],
  corruptSignatures: [
    'corrupt signatures',
    'Sign the next N deliveries with a signature that does not verify.',
  ],
  oldRequestTimes: ['stale Request-Time', 'Sign the next N deliveries with a Request-Time 26 hours old.'],
  apiUnknown: ['API answers U', 'Answer the next N API calls with resultStatus U (UNKNOWN_EXCEPTION).'],
  badResponseSignatures: ['bad API signatures', 'Sign the next N API responses wrongly.'],
};

const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** The fault switches, with what is on now and a Clear button. */
export function faultsCard(settings: FaultSettings, csrf: string): string {
  const rows = (Object.keys(FAULT_DESCRIPTIONS) as (keyof FaultSettings)[])
    .map((name) => {
      const [label, description] = FAULT_DESCRIPTIONS[name];
      return `<tr><td><label for="fault-${name}">${label}</label></td><td><input id="fault-${name}" type="number" min="0" name="${name}" value="${settings[name]}" style="width:6rem"></td><td class="muted">${escapeHtml(description)}</td></tr>`;
    })
    .join('');
  const on = (Object.keys(settings) as (keyof FaultSettings)[]).filter((k) => settings[k] > 0);
  const summary = on.length
    ? `On now: ${on.map((k) => `${FAULT_DESCRIPTIONS[k][0]} ${settings[k]}`).join(' · ')}`
    : 'No faults are on.';
  return `<div class="card"><strong>Faults toward the merchant</strong> <span id="faults-on">${escapeHtml(summary)}</span>
<form method="post" action="/sandbox/faults" id="faults"><input type="hidden" name="csrf" value="${csrf}"><table>${rows}</table>
<button class="secondary">Set faults</button></form>
<form method="post" action="/sandbox/faults/clear" id="faults-clear"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary">Clear all faults</button></form></div>`;
}

/** One line per attempt, for the list. */
export function attemptsLine(attempts: readonly AttemptRecord[], o: OutboxRecord): string {
  const lines = attempts.map((a) => {
    const late = a.startedAt - a.dueAt;
    return `#${a.run}.${a.number} due ${time(a.dueAt)} · started ${late > 0 ? `+${late} ms` : 'on time'} → ${a.httpStatus ?? a.errorClass ?? '—'} <strong>${a.verdict}</strong>`;
  });
  if (o.status === 'PENDING') lines.push(`next due ${time(o.nextAttemptAt)}`);
  return lines.join('<br>');
}

/** The list's filter links: by status and by type, keeping the other filter. */
export function filterLinks(current: { status?: string | undefined; type?: string | undefined }): string {
  const link = (q: { status?: string | undefined; type?: string | undefined }, text: string) => {
    const params = new URLSearchParams();
    if (q.status) params.set('status', q.status);
    if (q.type) params.set('type', q.type);
    const query = params.toString();
    return `<a href="/sandbox/deliveries${query ? `?${query}` : ''}">${text}</a>`;
  };
  const statuses = ['', 'PENDING', 'DELIVERING', 'ACKNOWLEDGED', 'EXHAUSTED', 'CANCELED']
    .map((s) => link({ ...current, status: s || undefined }, s || 'any status'))
    .join(' · ');
  const types = ['', 'AUTHCODE_CREATED', 'TOKEN_CREATED', 'TOKEN_CANCELED']
    .map((t) => link({ ...current, type: t || undefined }, t || 'any type'))
    .join(' · ');
  return `<p id="filters">${statuses}<br>${types}</p>`;
}

/** A list row, linking to the delivery's page. */
export function deliveryRow(o: OutboxRecord, attempts: readonly AttemptRecord[], csrf: string): string {
  return `<tr data-id="${escapeHtml(o.id)}" data-status="${escapeHtml(o.status)}"><td><a href="/sandbox/deliveries/${escapeHtml(o.id)}"><code title="${escapeHtml(o.id)}">${escapeHtml(displayId(o.id))}</code></a></td><td>${escapeHtml(o.type)}</td><td><span class="badge">${escapeHtml(o.status)}</span></td><td class="muted">${attemptsLine(attempts, o)}</td>
<td><form method="post" action="/sandbox/deliveries/${escapeHtml(o.id)}/redeliver"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary">Redeliver</button></form></td></tr>`;
}

/**
 * A delivery against its schedule: one row per slot (due offset from the first send, due time, the attempt
 * made in it with its start, answer and verdict), the slots after an acknowledgement marked as not needed.
 */
export function deliveryPage(o: OutboxRecord, attempts: readonly AttemptRecord[], csrf: string): string {
  const run = attempts.filter((a) => a.run === o.run);
  const first = run[0]?.dueAt ?? o.createdAt;
  let offset = 0;
  let settled = false;
  const rows = o.schedule
    .map((delay, i) => {
      offset += delay;
      const a = run.find((x) => x.number === i + 1);
      const due = a?.dueAt ?? first + offset;
      let cell: string;
      if (a) {
        const late = a.startedAt - a.dueAt;
        const answer = a.responseExcerpt
          ? ` <code>${escapeHtml(a.responseExcerpt.slice(0, 120))}</code>`
          : '';
        cell = `started ${time(a.startedAt)} (${late > 0 ? `+${late} ms` : 'on time'}) → ${a.httpStatus ?? escapeHtml(a.errorClass ?? '—')} <strong>${a.verdict}</strong>${answer}`;
        if (a.verdict === 'ACKNOWLEDGED') settled = true;
      } else if (settled || o.status === 'CANCELED') cell = '<span class="muted">not needed</span>';
      else if (o.status === 'PENDING' && o.attempts === i)
        cell = `<strong>next</strong>, due ${time(o.nextAttemptAt)}`;
      else cell = '<span class="muted">not yet</span>';
      return `<tr data-slot="${i + 1}"><td>#${i + 1}</td><td>+${formatDuration(offset)}</td><td class="muted">${time(due)}</td><td>${cell}</td></tr>`;
    })
    .join('');
  const earlier = attempts.filter((a) => a.run !== o.run).length;
  return `<h1>Delivery <code>${escapeHtml(o.id)}</code> <span class="badge">${escapeHtml(o.status)}</span></h1>
<div class="card">${escapeHtml(o.type)} to <code>${escapeHtml(o.targetUrl)}</code> · run ${o.run}${earlier ? ` (${earlier} attempt(s) in earlier runs)` : ''} · ${o.attempts} attempt(s) in this run</div>
<table id="schedule"><tr><th>Slot</th><th>After</th><th>Due</th><th>Attempt</th></tr>${rows}</table>
<form method="post" action="/sandbox/deliveries/${escapeHtml(o.id)}/redeliver"><input type="hidden" name="csrf" value="${csrf}"><button class="secondary">Redeliver</button></form>
<p><a href="/sandbox/deliveries">All deliveries</a></p>`;
}
