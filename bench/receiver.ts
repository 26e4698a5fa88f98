/**
 * Receiver throughput: distinct, validly signed notifications at 50 connections (wrk, one thread) against
 *   (a) a bare node:http server that only answers the ack (the HTTP floor),
 *   (b) a hand-written Express receiver (PEM string per verify, one autocommitted SQLite insert each),
 *   (c) `authnotify serve` on SQLite, and (d) on PostgreSQL,
 * each in its own process, in one run. Afterwards every acknowledged notification must be in the store.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { sign } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import pg from 'pg';

const ROOT = new URL('..', import.meta.url).pathname;
const RESULTS = join(ROOT, 'bench/results');
const CLIENT_ID = 'SANDBOX_BENCH';
const PATH = '/alipay/notify/authorization';
const PRIVATE = join(ROOT, 'test/fixtures/keys/alipay-v1.private.pem');
const PUBLIC = join(ROOT, 'test/fixtures/keys/alipay-v1.public.pem');
export const PG_URL = process.env.AUTHNOTIFY_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const runFile = promisify(execFile);

export interface WrkResult {
  requests: number;
  durationUs: number;
  non2xx: number;
  connectErrors: number;
  readErrors: number;
  writeErrors: number;
  timeouts: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
}

/** Distinct signed requests, cached for 20 h (the receiver accepts Request-Times up to 25 h old). */
export async function requestsFile(count: number): Promise<string> {
  mkdirSync(RESULTS, { recursive: true });
  const file = join(RESULTS, `requests-${count}.tsv`);
  if (existsSync(file) && Date.now() - statSync(file).mtimeMs < 20 * 3_600_000) return file;
  process.stdout.write(`signing ${count} distinct notifications (cached in ${file} for 20 h)…`);
  const key = readFileSync(PRIVATE, 'utf8');
  const lines: string[] = new Array(count);
  const started = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const time = String(Date.now());
      const body = JSON.stringify({
        authorizationNotifyType: 'TOKEN_CANCELED',
        accessToken: `2810010${started}_${i.toString().padStart(9, '0')}`,
        reason: 'bench',
        result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
      });
      const signature = await new Promise<Buffer>((resolve, reject) =>
        sign('sha256', Buffer.from(`POST ${PATH}\n${CLIENT_ID}.${time}.${body}`), key, (e, s) =>
          e ? reject(e) : resolve(s),
        ),
      );
      lines[i] =
        `${CLIENT_ID}\t${time}\talgorithm=RSA256,keyVersion=1,signature=${encodeURIComponent(signature.toString('base64'))}\t${body}`;
      if (i % 10_000 === 0) process.stdout.write('.');
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  writeFileSync(file, `${lines.join('\n')}\n`);
  console.log(` ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return file;
}

export function start(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve({ child, url: (JSON.parse(line) as { url: string }).url });
    });
    child.on('exit', (code) =>
      reject(new Error(`${args.join(' ')} exited with ${code}: ${err.slice(-500)}`)),
    );
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

/**
 * Runs wrk with the pre-signed requests (one thread), starting at line `offset` of the file so that a
 * warm-up and the measured run send different notifications.
 */
export async function wrk(
  url: string,
  file: string,
  { seconds, connections = 50, offset = 0 }: { seconds: number; connections?: number; offset?: number },
): Promise<WrkResult> {
  const { stdout } = await runFile('wrk', [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--timeout',
    '5s',
    '-s',
    join(ROOT, 'bench/wrk-requests.lua'),
    url,
    '--',
    file,
    String(offset),
  ]);
  const line = stdout.split('\n').find((l) => l.startsWith('{"requests"'));
  if (!line) throw new Error(`wrk printed no result:\n${stdout}`);
  return JSON.parse(line) as WrkResult;
}

/** The arguments that start `authnotify serve` for a benchmark on the given database. */
export function serveArgs(database: string): string[] {
  return [
    join(ROOT, 'dist/cli/main.js'),
    'serve',
    '--port',
    '0',
    '--database',
    database,
    '--client-id',
    CLIENT_ID,
    '--alipay-public-key',
    `1=${PUBLIC}`,
    '--json',
    '--log-level',
    'error',
    '--admin-token',
    'bench-admin-token-0123456789abcdef',
    '--secret-key',
    'b'.repeat(64),
  ];
}

/** CPU time of each thread of a process, µs, by thread id. */
export function threadCpuUs(pid: number | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (pid === undefined) return out;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      out.set(tid, Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000);
    }
  } catch {
    // /proc is not there, or the process ended
  }
  return out;
}

/**
 * CPU time of every PostgreSQL server process on this machine, µs (clock ticks, 10 ms each): the
 * database's share of a notification, which a store a network hop away does not show in its own CPU.
 */
export function postgresCpuUs(): number {
  let ticks = 0;
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      if (!name.startsWith('postgres')) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      // the process ended
    }
  }
  return ticks * 10_000;
}

const totalUs = (threads: Map<string, number>) => [...threads.values()].reduce((sum, us) => sum + us, 0);

/** CPU time of a process across all its threads, µs; undefined where /proc is not there. */
export function cpuUs(pid: number | undefined): number | undefined {
  const threads = threadCpuUs(pid);
  return threads.size === 0 ? undefined : totalUs(threads);
}

/**
 * Where a window's CPU went: the main thread, the busiest other thread (the store's worker where there is
 * one), and everything else (the crypto thread pool, V8's GC helpers, libuv).
 */
function cpuSplit(pid: number | undefined, before: Map<string, number>, after: Map<string, number>) {
  const used = [...after].map(([tid, us]) => [tid, us - (before.get(tid) ?? 0)] as const);
  const main = used.find(([tid]) => tid === String(pid))?.[1] ?? 0;
  const others = used.filter(([tid]) => tid !== String(pid)).sort((a, b) => b[1] - a[1]);
  const busiest = others[0]?.[1] ?? 0;
  const rest = others.slice(1).reduce((sum, [, us]) => sum + us, 0);
  return { main, busiest, rest };
}

/** Notifications at the end of the requests file kept for warm-ups. */
const WARMUP_TAIL = 20_000;

interface Row {
  name: string;
  result: WrkResult;
  /** Acknowledged during the warm-up (also in the store afterwards). */
  warmAcked: number;
  stored: number | undefined;
  /** Rows the processor finished (lifecycle applied) during the measured run, where the store says. */
  processed: number | undefined;
  /** CPU time of the server process (all its threads) during the measured run, µs. */
  cpu: number | undefined;
  split: ReturnType<typeof cpuSplit>;
  /** CPU time of the PostgreSQL server's processes during the measured run, µs. */
  dbCpu: number;
  /** The measured run's notifications sent again (every one already stored), for half as long. */
  storm: WrkResult | undefined;
}

interface Counts {
  stored: number;
  processed?: number;
}

/** Rows stored in a SQLite inbox, and those finished within the window (the ceiling and serve share the columns). */
function sqliteCounts(file: string, { begin, end }: { begin: number; end: number }): Counts {
  const db = new Database(file, { readonly: true });
  try {
    return db
      .prepare(
        'SELECT COUNT(*) AS stored, COUNT(*) FILTER (WHERE processed_at BETWEEN ? AND ?) AS processed FROM inbox',
      )
      .get(begin, end) as Counts;
  } finally {
    db.close();
  }
}

function rps(r: WrkResult): number {
  return r.requests / (r.durationUs / 1e6);
}

export async function benchReceiver(
  options: { seconds?: number; warmup?: number; count?: number } = {},
): Promise<void> {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') {
      console.log('\n## receiver throughput: skipped — wrk is not installed (apt-get install -y wrk)');
      return;
    }
  }
  const seconds = options.seconds ?? 6;
  const warmup = options.warmup ?? 2;
  const count = options.count ?? 120_000;
  const file = await requestsFile(count);
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-bench-'));
  const rows: Row[] = [];
  const cli = join(ROOT, 'dist/cli/main.js');
  if (!existsSync(cli)) throw new Error('dist/ is missing: run npm run build first');

  const run = async (
    name: string,
    command: string,
    args: string[],
    inspect: (window: { begin: number; end: number }) => Promise<Counts | undefined>,
    storm = true,
  ) => {
    const { child, url } = await start(command, args);
    // Warm-up (JIT, caches, pools) on the file's last notifications; the measured run starts at the first.
    const warm = await wrk(url, file, { seconds: warmup, offset: count - WARMUP_TAIL });
    const threadsBefore = threadCpuUs(child.pid);
    const dbBefore = postgresCpuUs();
    const begin = Date.now();
    const result = await wrk(url, file, { seconds });
    const end = Date.now();
    const threadsAfter = threadCpuUs(child.pid);
    const dbCpu = postgresCpuUs() - dbBefore;
    const split = cpuSplit(child.pid, threadsBefore, threadsAfter);
    // A duplicate storm, as Alipay's retries are: the measured run's notifications again, a third as long so
    // that every one is already stored (duplicates are answered faster, so more of them are sent).
    const dup = storm ? await wrk(url, file, { seconds: Math.max(1, Math.floor(seconds / 3)) }) : undefined;
    if (dup && dup.requests > result.requests)
      console.log(`  note: ${name}'s duplicate storm sent more than the measured run stored; some were new`);
    await stop(child);
    const counts = await inspect({ begin, end });
    const warmAcked = warm.requests - warm.non2xx;
    const cpu =
      threadsBefore.size === 0 || threadsAfter.size === 0
        ? undefined
        : totalUs(threadsAfter) - totalUs(threadsBefore);
    rows.push({
      name,
      result,
      warmAcked,
      stored: counts?.stored,
      processed: counts?.processed,
      cpu,
      split,
      dbCpu,
      storm: dup,
    });
    if (result.requests > count)
      console.log(
        `  note: ${name} sent ${result.requests} requests, more than the ${count} distinct ones (some were duplicates)`,
      );
  };

  await run(
    'bare node:http ack (HTTP floor)',
    process.execPath,
    [join(ROOT, 'bench/servers/floor.mjs')],
    async () => undefined,
    false,
  );
  const naiveDb = join(dir, 'naive.db');
  await run(
    'hand-written Express receiver',
    process.execPath,
    [join(ROOT, 'bench/servers/naive-express.mjs'), naiveDb, PUBLIC, CLIENT_ID],
    async () => {
      const db = new Database(naiveDb, { readonly: true });
      const n = (db.prepare('SELECT COUNT(*) AS n FROM notifications').get() as { n: number }).n;
      db.close();
      return { stored: n };
    },
  );
  // The yardstick (issue 13): a lean durable receiver doing only the work serve must do.
  const ceiling = join(ROOT, '..', 'shared', 'bench', 'ceiling.mjs');
  if (existsSync(ceiling)) {
    const ceilingDb = join(dir, 'ceiling.db');
    await run(
      'ceiling (shared/bench/ceiling.mjs)',
      process.execPath,
      [
        ceiling,
        '--port',
        '0',
        '--database',
        ceilingDb,
        '--client-id',
        CLIENT_ID,
        '--public-key',
        readFileSync(join(ROOT, 'test/fixtures/keys/alipay-v1.public.txt'), 'utf8').trim(),
      ],
      async (window) => sqliteCounts(ceilingDb, window),
    );
  } else console.log(`  ${ceiling} is absent; the ceiling row is skipped`);
  const sqliteDb = join(dir, 'authnotify.db');
  await run(
    'authnotify serve (SQLite, FULL, group commit)',
    process.execPath,
    serveArgs(sqliteDb),
    async (window) => sqliteCounts(sqliteDb, window),
  );
  const schema = `bench_${Date.now().toString(36)}`;
  let pgOk = true;
  try {
    const c = new pg.Client({ connectionString: PG_URL });
    await c.connect();
    await c.end();
  } catch {
    pgOk = false;
    console.log(`  PostgreSQL not reachable at ${PG_URL}; its row is skipped`);
  }
  if (pgOk) {
    await run(
      'authnotify serve (PostgreSQL)',
      process.execPath,
      serveArgs(`${PG_URL}?schema=${schema}`),
      async ({ begin, end }) => {
        const c = new pg.Client({ connectionString: PG_URL });
        await c.connect();
        const { rows: counts } = await c.query(
          `SELECT COUNT(*) AS stored, COUNT(*) FILTER (WHERE processed_at BETWEEN $1 AND $2) AS processed FROM "${schema}".inbox`,
          [begin, end],
        );
        await c.query(`DROP SCHEMA "${schema}" CASCADE`);
        await c.end();
        return { stored: Number(counts[0].stored), processed: Number(counts[0].processed) };
      },
    );
  }

  const naive = rows.find((r) => r.name.startsWith('hand-written'));
  const top = rows.find((r) => r.name.startsWith('ceiling'));
  const floor = rows[0];
  console.log(
    `\n## receiver throughput (wrk -t1 -c50 -d${seconds}s after a ${warmup}s warm-up, distinct signed notifications, node ${process.version})`,
  );
  console.log(
    `${'server'.padEnd(48)} ${'req/s'.padStart(8)} ${'×ceil'.padStart(6)} ${'CPU µs'.padStart(7)} ${'×ceil'.padStart(6)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'non-2xx'.padStart(8)} ${'×hand'.padStart(6)} ${'×floor'.padStart(6)} ${'done/s'.padStart(7)} ${'applied'.padStart(8)} ${'dup ×'.padStart(6)}  stored/acked`,
  );
  for (const r of rows) {
    const errors =
      r.result.non2xx +
      r.result.readErrors +
      r.result.writeErrors +
      r.result.timeouts +
      r.result.connectErrors;
    const acked = r.warmAcked + r.result.requests - r.result.non2xx;
    const windowAcked = r.result.requests - r.result.non2xx;
    const perNotification = r.cpu === undefined || windowAcked === 0 ? undefined : r.cpu / windowAcked;
    const topCpu = top?.cpu === undefined ? undefined : top.cpu / (top.result.requests - top.result.non2xx);
    const fmt = (v: number | undefined, digits: number) => (v === undefined ? 'n/a' : v.toFixed(digits));
    const check =
      r.stored === undefined ? 'n/a' : `${r.stored}/${acked} ${r.stored >= acked ? 'ok' : 'MISSING ROWS'}`;
    console.log(
      `${r.name.padEnd(48)} ${rps(r.result).toFixed(0).padStart(8)} ${fmt(top ? rps(r.result) / rps(top.result) : undefined, 2).padStart(6)} ${fmt(perNotification, 0).padStart(7)} ${fmt(perNotification !== undefined && topCpu !== undefined ? perNotification / topCpu : undefined, 2).padStart(6)} ${(r.result.p50Us / 1000).toFixed(2).padStart(7)} ${(r.result.p99Us / 1000).toFixed(2).padStart(7)} ${String(errors).padStart(8)} ${(naive ? rps(r.result) / rps(naive.result) : Number.NaN).toFixed(2).padStart(6)} ${(floor ? rps(r.result) / rps(floor.result) : Number.NaN).toFixed(2).padStart(6)} ${(r.processed === undefined ? 'n/a' : (r.processed / (r.result.durationUs / 1e6)).toFixed(0)).padStart(7)} ${fmt(r.processed === undefined || windowAcked === 0 ? undefined : (100 * r.processed) / windowAcked, 0).padStart(7)}% ${fmt(r.storm ? rps(r.storm) / rps(r.result) : undefined, 2).padStart(6)}  ${check}`,
    );
  }
  console.log(
    'dup ×: req/s of a duplicate storm (the measured run sent again) against the distinct run;\n' +
      'CPU µs: CPU time of the server process, all threads, per notification acknowledged in the measured run;\n' +
      'done/s and applied: inbox rows the processor finished (lifecycle applied) during the measured run, per\n' +
      'second and as a share of the notifications acknowledged in it; ×ceil: against the ceiling row',
  );
  console.log('\nwhere the CPU goes, µs per notification: main thread / busiest other thread / the rest');
  for (const r of rows) {
    const n = r.result.requests - r.result.non2xx;
    if (n === 0 || r.cpu === undefined) continue;
    const f = (us: number) => (us / n).toFixed(0).padStart(5);
    console.log(`${r.name.padEnd(48)} ${f(r.split.main)} ${f(r.split.busiest)} ${f(r.split.rest)}`);
  }
  for (const r of rows.filter((row) => row.name.includes('PostgreSQL'))) {
    const n = r.result.requests - r.result.non2xx;
    if (n > 0)
      console.log(
        `PostgreSQL's own server processes for ${r.name}: ${(r.dbCpu / n).toFixed(0)} µs per notification (not in CPU µs above)`,
      );
  }
}
