/**
 * Soak: `authnotify serve` on SQLite under a steady load (default 2,000 notifications/s, about half the
 * measured maximum here) for 10 minutes. Reports, per minute, answers by status, p50/p99 latency and the
 * server's RSS. Not part of CI: `npx tsx bench/soak.ts [minutes] [rate]`.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';

const ROOT = new URL('..', import.meta.url).pathname;
const minutes = Number(process.argv[2] ?? 10);
const rate = Number(process.argv[3] ?? 2000);
const file = join(ROOT, 'bench/results/requests-120000.tsv');
const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
const requests = lines.map((l) => {
  const [cid, rt, sig, body] = l.split('\t') as [string, string, string, string];
  return {
    headers: {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': cid,
      'request-time': rt,
      signature: sig,
    },
    body,
  };
});

const db = join(tmpdir(), `authnotify-soak-${Date.now()}.db`);
const child = spawn(
  process.execPath,
  [
    join(ROOT, 'dist/cli/main.js'),
    'serve',
    '--port',
    '0',
    '--database',
    db,
    '--client-id',
    'SANDBOX_BENCH',
    '--alipay-public-key',
    `1=${join(ROOT, 'test/fixtures/keys/alipay-v1.public.pem')}`,
    '--json',
    '--log-level',
    'error',
    '--admin-token',
    'soak-admin-token-0123456789abcdef',
    '--secret-key',
    'b'.repeat(64),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'] },
);
const url = await new Promise<string>((resolve) =>
  child.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url)),
);
const rss = () =>
  Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
const agent = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
console.log(`soak: ${minutes} min at ${rate}/s against ${url}; server RSS at start ${rss().toFixed(0)} MiB`);

let sent = 0;
let window = { statuses: new Map<number | string, number>(), latencies: [] as number[] };
const started = Date.now();
let nextMinute = started + 60_000;
const intervalMs = 10;
const perTick = (rate * intervalMs) / 1000;
let carry = 0;
while (Date.now() - started < minutes * 60_000) {
  carry += perTick;
  for (; carry >= 1; carry--) {
    const r = requests[sent++ % requests.length] as (typeof requests)[number];
    const t0 = performance.now();
    request(`${url}/alipay/notify/authorization`, {
      method: 'POST',
      headers: r.headers,
      body: r.body,
      dispatcher: agent,
    })
      .then(async (res) => {
        await res.body.text();
        window.statuses.set(res.statusCode, (window.statuses.get(res.statusCode) ?? 0) + 1);
        window.latencies.push(performance.now() - t0);
      })
      .catch((e: Error) => window.statuses.set(e.name, (window.statuses.get(e.name) ?? 0) + 1));
  }
  if (Date.now() >= nextMinute) {
    const l = window.latencies.sort((a, b) => a - b);
    const p = (q: number) => (l[Math.floor(q * l.length)] ?? Number.NaN).toFixed(1);
    console.log(
      `minute ${Math.round((Date.now() - started) / 60_000)}: ${[...window.statuses].map(([s, n]) => `${s}×${n}`).join(' ')}  p50 ${p(0.5)} ms  p99 ${p(0.99)} ms  RSS ${rss().toFixed(0)} MiB`,
    );
    window = { statuses: new Map(), latencies: [] };
    nextMinute += 60_000;
  }
  await new Promise((r) => setTimeout(r, intervalMs));
}
await new Promise((r) => setTimeout(r, 2000));
console.log(`soak done: ${sent} sent; server RSS at end ${rss().toFixed(0)} MiB`);
child.kill('SIGTERM');
await agent.close();
