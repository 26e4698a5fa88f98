/**
 * A/B: `authnotify serve` on SQLite from two builds, alternating rounds in one process tree, to tell a
 * regression from the machine's drift. `tsx bench/ab.ts OTHER_DIST_CLI [rounds]`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUs, requestsFile, serveArgs, start, stop, wrk } from './receiver.js';

const other = process.argv[2];
const rounds = Number(process.argv[3] ?? 3);
if (!other) {
  console.error('usage: tsx bench/ab.ts OTHER_DIST_CLI [rounds]');
  process.exit(2);
}
const count = 120_000;
const file = await requestsFile(count);
const builds: [string, string][] = [
  ['this build', join(new URL('..', import.meta.url).pathname, 'dist/cli/main.js')],
  ['other build', other],
];
const results = new Map<string, { rps: number[]; cpu: number[] }>();
let offset = 0;
for (let round = 0; round < rounds; round++) {
  for (const [name, cli] of round % 2 === 0 ? builds : [...builds].reverse()) {
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-ab-'));
    const args = serveArgs(join(dir, 'a.db'));
    args[0] = cli;
    const { child, url } = await start(process.execPath, args);
    await wrk(url, file, { seconds: 2, offset: count - 20_000 });
    const before = cpuUs(child.pid) ?? 0;
    const r = await wrk(url, file, { seconds: 5, offset });
    const after = cpuUs(child.pid) ?? 0;
    offset = (offset + r.requests) % (count - 40_000);
    await stop(child);
    const acked = r.requests - r.non2xx;
    const entry = results.get(name) ?? { rps: [], cpu: [] };
    entry.rps.push(r.requests / (r.durationUs / 1e6));
    entry.cpu.push((after - before) / acked);
    results.set(name, entry);
  }
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
for (const [name, r] of results)
  console.log(
    `${name.padEnd(12)} req/s ${r.rps.map((x) => x.toFixed(0)).join(' ')} (median ${median(r.rps).toFixed(0)})  CPU µs/notification ${r.cpu.map((x) => x.toFixed(0)).join(' ')} (median ${median(r.cpu).toFixed(0)})`,
  );
