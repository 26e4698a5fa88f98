/**
 * Scale-out on PostgreSQL: one `authnotify serve` against two sharing one database, each driven by its own
 * wrk over a disjoint half of the distinct signed notifications. Reports combined throughput as a ratio.
 * On this 2-core machine the processes, wrk and PostgreSQL share the same two cores, so the figure shows
 * the cost of coordination more than the gain of a second machine.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { requestsFile, serveArgs, start, stop, type WrkResult, wrk } from './receiver.js';

const ROOT = new URL('..', import.meta.url).pathname;
const PG_URL = process.env.AUTHNOTIFY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const rps = (r: WrkResult) => r.requests / (r.durationUs / 1e6);

export async function benchScaleOut(seconds = 6): Promise<void> {
  try {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.end();
  } catch {
    console.log(`\n## scale-out: skipped — PostgreSQL not reachable at ${PG_URL}`);
    return;
  }
  const file = await requestsFile(120_000);
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  const halves = [lines.filter((_, i) => i % 2 === 0), lines.filter((_, i) => i % 2 === 1)].map((half, i) => {
    const path = join(ROOT, `bench/results/requests-half-${i}.tsv`);
    writeFileSync(path, `${half.join('\n')}\n`);
    return path;
  });
  const serve = (schema: string) => serveArgs(`${PG_URL}?schema=${schema}`);
  const schemas = [`bench_one_${Date.now().toString(36)}`, `bench_two_${Date.now().toString(36)}`];

  const one = await start(process.execPath, serve(schemas[0] as string));
  const single = await wrk(one.url, halves[0] as string, { seconds });
  await stop(one.child);

  const a = await start(process.execPath, serve(schemas[1] as string));
  const b = await start(process.execPath, serve(schemas[1] as string));
  const [ra, rb] = await Promise.all([
    wrk(a.url, halves[0] as string, { seconds, connections: 25 }),
    wrk(b.url, halves[1] as string, { seconds, connections: 25 }),
  ]);
  await Promise.all([stop(a.child), stop(b.child)]);

  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  const stored = Number((await c.query(`SELECT COUNT(*) AS n FROM "${schemas[1]}".inbox`)).rows[0].n);
  for (const s of schemas) await c.query(`DROP SCHEMA IF EXISTS "${s}" CASCADE`);
  await c.end();
  const combined = rps(ra) + rps(rb);
  const acked = ra.requests - ra.non2xx + rb.requests - rb.non2xx;
  console.log(
    `\n## scale-out on PostgreSQL (wrk, 50 connections in all, ${seconds}s, node ${process.version})`,
  );
  console.log(
    `one serve process                     ${rps(single).toFixed(0).padStart(7)} req/s  p99 ${(single.p99Us / 1000).toFixed(1)} ms  1.00×`,
  );
  console.log(
    `two serve processes, one database     ${combined.toFixed(0).padStart(7)} req/s  p99 ${(Math.max(ra.p99Us, rb.p99Us) / 1000).toFixed(1)} ms  ${(combined / rps(single)).toFixed(2)}×  non-2xx ${ra.non2xx + rb.non2xx}, stored ${stored}/${acked} acked`,
  );
}
