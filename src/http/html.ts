/** Minimal server-rendered HTML: escaped by default, readable without JavaScript. */
export function escapeHtml(value: unknown): string {
  return String(value ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string,
  );
}

export function page(
  title: string,
  body: string,
  banner = 'Alipay sandbox (local, authnotify) — not a real wallet',
): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title><style>
body{font-family:system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1a1a1a}
h1{font-size:1.4rem}.card{border:1px solid #ddd;border-radius:8px;padding:1rem 1.25rem;margin:1rem 0}
button{font-size:1rem;padding:.5rem 1.1rem;border-radius:6px;border:1px solid #1677ff;background:#1677ff;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1677ff}table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.35rem;border-bottom:1px solid #eee;font-size:.9rem}
.muted{color:#666;font-size:.85rem}code,time{white-space:nowrap}code{font-size:.85rem}pre code,pre{white-space:pre-wrap;word-break:break-all}.badge{padding:.1rem .45rem;border-radius:4px;background:#eef;font-size:.8rem}nav a{margin-right:1rem}.flash{background:#fff7e6;border:1px solid #ffd591;padding:.5rem .75rem;border-radius:6px}input,select{font-size:.95rem;padding:.3rem}
</style></head><body><p class="muted">${escapeHtml(banner)}</p>${body}</body></html>`;
}
