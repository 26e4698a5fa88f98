/**
 * A/B: `authnotify serve` from two builds, both running at once, measured in short blocks taken in turn
 * (A B B A …), so that each pair of blocks sees the same seconds of this machine. Rounds of fresh servers
 * minutes apart moved by ±20 % with the machine and decided nothing. `tsx bench/ab.ts OTHER_DIST_CLI
 * [blocks] [--pg]`: SQLite by default, with `--pg` PostgreSQL (AUTHNOTIFY_BENCH_DATABASE_URL, a schema
 * per build), where the database server's own CPU per notification is reported too.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { cpuUs, PG_URL, postgresCpuUs, requestsFile, serveArgs, start, stop, wrk } from './receiver.js';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const onPostgres = process.argv.includes('--pg');
const other = positional[0];
const blocks = Number(positional[1] ?? 12);
if (!other || !Number.isInteger(blocks) || blocks < 2) {
  console.error('usage: tsx bench/ab.ts OTHER_DIST_CLI [blocks ≥ 2] [--pg]');
  process.exit(2);
}
const count = 120_000;
/** Lines of the request file kept for the warm-ups, so that measured blocks send other notifications. */
const WARM = 20_000;
/** Seconds per block (wrk takes whole seconds), and the pause after it in which late work is still counted. */
const BLOCK_S = 2;
const SETTLE_MS = 300;
const file = await requestsFile(count);

interface Build {
  name: string;
  cli: string;
  schema: string;
  child?: Awaited<ReturnType<typeof start>>['child'];
  url?: string;
  offset: number;
  requests: number;
  us: number;
  cpu: number;
  db: number;
  non2xx: number;
  wins: number;
}
const build = (name: string, cli: string): Build => ({
  name,
  cli,
  schema: `ab_${name.replace(/\W/g, '')}_${Date.now().toString(36)}`,
  offset: 0,
  requests: 0,
  us: 0,
  cpu: 0,
  db: 0,
  non2xx: 0,
  wins: 0,
});
const builds = [
  build('this build', join(new URL('..', import.meta.url).pathname, 'dist/cli/main.js')),
  build('other build', other),
];

try {
  // The other build starts first: in A/A runs the first started was a few per cent faster, so any such
  // edge goes against the change being measured.
  for (const b of [...builds].reverse()) {
    const database = onPostgres
      ? `${PG_URL}?schema=${b.schema}`
      : join(mkdtempSync(join(tmpdir(), 'authnotify-ab-')), 'a.db');
    const args = serveArgs(database);
    args[0] = b.cli;
    Object.assign(b, await start(process.execPath, args));
    await wrk(b.url as string, file, { seconds: 2, offset: count - WARM });
  }
  for (let i = 0; i < blocks; i++) {
    const [first, second] = i % 4 === 0 || i % 4 === 3 ? builds : [...builds].reverse();
    const rates: number[] = [];
    for (const b of [first, second] as Build[]) {
      const cpuBefore = cpuUs(b.child?.pid) ?? 0;
      const dbBefore = onPostgres ? postgresCpuUs() : 0;
      const r = await wrk(b.url as string, file, { seconds: BLOCK_S, offset: b.offset });
      await sleep(SETTLE_MS);
      b.cpu += (cpuUs(b.child?.pid) ?? 0) - cpuBefore;
      b.db += onPostgres ? postgresCpuUs() - dbBefore : 0;
      b.offset = (b.offset + r.requests) % (count - WARM);
      b.requests += r.requests;
      b.us += r.durationUs;
      b.non2xx += r.non2xx;
      rates.push(r.requests / r.durationUs);
    }
    // Which build took more notifications/s in this pair of blocks.
    const winner = (rates[0] as number) >= (rates[1] as number) ? first : second;
    (winner as Build).wins++;
  }
} finally {
  for (const b of builds) if (b.child) await stop(b.child);
  if (onPostgres) {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    for (const b of builds) await c.query(`DROP SCHEMA IF EXISTS "${b.schema}" CASCADE`);
    await c.end();
  }
}

const [a, b] = builds as [Build, Build];
const rate = (x: Build) => x.requests / (x.us / 1e6);
const perNotification = (x: Build, us: number) => us / Math.max(1, x.requests - x.non2xx);
for (const x of builds)
  console.log(
    `${x.name.padEnd(12)} req/s ${rate(x).toFixed(0)}  CPU µs/notification ${perNotification(x, x.cpu).toFixed(0)}` +
      `${onPostgres ? `  PostgreSQL server CPU µs/notification ${perNotification(x, x.db).toFixed(0)}` : ''}` +
      `  non-2xx ${x.non2xx}  faster in ${x.wins} of ${blocks} pairs of blocks`,
  );
console.log(
  `this/other: req/s ${(rate(a) / rate(b)).toFixed(3)}×, CPU per notification ${(perNotification(a, a.cpu) / perNotification(b, b.cpu)).toFixed(3)}×`,
);
