/**
 * The dashboard's pictures, as inline SVG (no script, no request): notifications received per minute over
 * the last hours, stacked by status, from the store; and the last hour's rejections by code.
 */
import { escapeHtml } from '../http/html.js';
import type { InboxActivity, InboxStatus } from '../store/types.js';

const COLOURS: Record<InboxStatus, string> = {
  PROCESSED: '#52c41a',
  PENDING: '#1677ff',
  PROCESSING: '#69b1ff',
  FAILED: '#f5222d',
  QUARANTINED: '#fa8c16',
};

const WIDTH = 900;
const HEIGHT = 120;

/** Notifications per bucket from `since` to `now`, one stacked bar per bucket. */
export function activityChart(
  activity: readonly InboxActivity[],
  since: number,
  now: number,
  bucketMs: number,
): string {
  const start = Math.floor(since / bucketMs) * bucketMs;
  const buckets = Math.floor((now - start) / bucketMs) + 1; // the current, partial bucket included
  const totals = new Map<number, number>();
  for (const a of activity) totals.set(a.bucket, (totals.get(a.bucket) ?? 0) + a.count);
  const max = Math.max(1, ...totals.values());
  const barWidth = WIDTH / buckets;
  const stacked = new Map<number, number>();
  const bars = activity
    .map((a) => {
      const index = Math.round((a.bucket - start) / bucketMs);
      if (index < 0 || index >= buckets) return '';
      const below = stacked.get(a.bucket) ?? 0;
      stacked.set(a.bucket, below + a.count);
      const height = (a.count / max) * HEIGHT;
      const y = HEIGHT - ((below + a.count) / max) * HEIGHT;
      const at = new Date(a.bucket).toISOString().slice(11, 16);
      return `<rect x="${(index * barWidth).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(1, barWidth - 1).toFixed(1)}" height="${height.toFixed(1)}" fill="${COLOURS[a.status]}"><title>${at} ${a.status} ${a.count}</title></rect>`;
    })
    .join('');
  const total = [...totals.values()].reduce((s, n) => s + n, 0);
  const legend = (Object.keys(COLOURS) as InboxStatus[])
    .map((s) => `<span style="color:${COLOURS[s]}">■</span> ${s.toLowerCase()}`)
    .join(' ');
  const hours = Math.round((now - since) / 3_600_000);
  return `<figure id="activity"><figcaption>Notifications received per minute, last ${hours} h: ${total} (peak ${total ? max : 0}/min) — ${legend}</figcaption>
<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" height="${HEIGHT}" role="img" aria-label="notifications per minute">${bars}<line x1="0" y1="${HEIGHT}" x2="${WIDTH}" y2="${HEIGHT}" stroke="#ccc"/></svg></figure>`;
}

/** The last hour's rejections by code, as bars. */
export function rejectionsChart(byCode: Readonly<Record<string, number>>): string {
  const entries = Object.entries(byCode).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return '<p id="rejections">No rejected requests in the last hour.</p>';
  const max = Math.max(...entries.map(([, n]) => n));
  const rows = entries
    .map(
      ([code, n], i) =>
        `<text x="0" y="${i * 22 + 15}" font-size="12">${escapeHtml(code)}</text><rect x="260" y="${i * 22 + 4}" width="${((n / max) * 560).toFixed(1)}" height="14" fill="#f5222d"/><text x="${(265 + (n / max) * 560).toFixed(1)}" y="${i * 22 + 15}" font-size="12">${n}</text>`,
    )
    .join('');
  return `<figure id="rejections"><figcaption>Rejected requests in the last hour, by code</figcaption><svg viewBox="0 0 ${WIDTH} ${entries.length * 22 + 4}" width="100%" role="img" aria-label="rejections by code">${rows}</svg></figure>`;
}
