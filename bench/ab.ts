/**
 * A/B: `authnotify serve` from two builds, alternating rounds in one process tree, to tell a change
 * from the machine's drift. `tsx bench/ab.ts OTHER_DIST_CLI [rounds] [--pg]`: SQLite by default, with
 * `--pg` PostgreSQL (AUTHNOTIFY_BENCH_DATABASE_URL, a fresh schema per round), where the database
 * server's own CPU per notification is reported too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { cpuUs, PG_URL, postgresCpuUs, requestsFile, serveArgs, start, stop, wrk } from './receiver.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const onPostgres = process.argv.includes('--pg');
const other = positional[0];
const rounds = Number(positional[1] ?? 3);
if (!other) {
  console.error('usage: tsx bench/ab.ts OTHER_DIST_CLI [rounds] [--pg]');
  process.exit(2);
}
const count = 120_000;
const file = await requestsFile(count);
const builds: [string, string][] = [
  ['this build', join(new URL('..', import.meta.url).pathname, 'dist/cli/main.js')],
  ['other build', other],
];
const results = new Map<string, { rps: number[]; cpu: number[]; db: number[] }>();
let offset = 0;
for (let round = 0; round < rounds; round++) {
  for (const [name, cli] of round % 2 === 0 ? builds : [...builds].reverse()) {
    const schema = `ab_${Date.now().toString(36)}`;
    const database = onPostgres
      ? `${PG_URL}?schema=${schema}`
      : join(mkdtempSync(join(tmpdir(), 'authnotify-ab-')), 'a.db');
    const args = serveArgs(database);
    args[0] = cli;
    const { child, url } = await start(process.execPath, args);
    await wrk(url, file, { seconds: 2, offset: count - 20_000 });
    const before = cpuUs(child.pid) ?? 0;
    const dbBefore = onPostgres ? postgresCpuUs() : 0;
    const r = await wrk(url, file, { seconds: 5, offset });
    const after = cpuUs(child.pid) ?? 0;
    const dbAfter = onPostgres ? postgresCpuUs() : 0;
    offset = (offset + r.requests) % (count - 40_000);
    await stop(child);
    if (onPostgres) {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP SCHEMA "${schema}" CASCADE`);
      await c.end();
    }
    const acked = r.requests - r.non2xx;
    const entry = results.get(name) ?? { rps: [], cpu: [], db: [] };
    entry.rps.push(r.requests / (r.durationUs / 1e6));
    entry.cpu.push((after - before) / acked);
    entry.db.push((dbAfter - dbBefore) / acked);
    results.set(name, entry);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const show = (xs: number[]) => `${xs.map((x) => x.toFixed(0)).join(' ')} (median ${median(xs).toFixed(0)})`;
for (const [name, r] of results)
  console.log(
    `${name.padEnd(12)} req/s ${show(r.rps)}  CPU µs/notification ${show(r.cpu)}${onPostgres ? `  PostgreSQL server CPU µs/notification ${show(r.db)}` : ''}`,
  );
