/**
 * `authnotify serve` on PostgreSQL while the database goes away — what production runs: the whole service
 * as its own process, processor on, under load of validly signed notifications. Repeatedly: the server
 * stopped like a crash (`pg_ctl stop -m immediate`) and started again, and every backend terminated
 * (`pg_terminate_backend`). While PostgreSQL is unreachable the notify endpoint answers 503 with
 * resultStatus U and /readyz answers 503; the same process recovers by itself; every acknowledged
 * notification is stored and processed. Uses a throwaway cluster of its own (initdb into a temp dir), so
 * the shared server that other suites use is never touched. Skips with the reason where that cannot be done.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { OK, signAsFixtureAlipay } from '../helpers/receiver.js';
import { runCliProcess, serveArgs } from '../helpers/serve-process.js';
import { until } from '../helpers/wait.js';

const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
const bin = versions.length > 0 ? `/usr/lib/postgresql/${versions.sort().at(-1)}/bin` : '';
const dir = mkdtempSync(join(tmpdir(), 'authnotify-pgoutage-'));
const port = 54_000 + Math.floor(Math.random() * 900);
const url = `postgres://postgres@127.0.0.1:${port}/postgres`;

function asPostgres(command: string): void {
  execFileSync('su', ['postgres', '-s', '/bin/sh', '-c', command], { stdio: 'ignore', timeout: 30_000 });
}
const pgctl = (action: string) =>
  asPostgres(
    `${bin}/pg_ctl -D ${dir}/data -o '-p ${port} -k ${dir} -c listen_addresses=127.0.0.1' -l ${dir}/log -w ${action}`,
  );

const skipReason: string | undefined = (() => {
  if (!bin || !existsSync(`${bin}/initdb`)) return 'no PostgreSQL server binaries (initdb) on this machine';
  try {
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
      Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
    );
    asPostgres(`${bin}/initdb -D ${dir}/data -A trust -U postgres`);
    pgctl('start');
    return undefined;
  } catch (error) {
    return `cannot run a throwaway PostgreSQL cluster here (${(error as Error).message.split('\n')[0]})`;
  }
})();
if (skipReason) console.warn(`skipping the PostgreSQL outage test: ${skipReason}`);

afterAll(() => {
  if (!skipReason) {
    try {
      pgctl('stop -m immediate');
    } catch {
      // already stopped
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

async function sql<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(text)).rows;
  } finally {
    await client.end();
  }
}

type Fault = 'restart' | 'terminate';

describe('PostgreSQL outages under load, whole service, processor on', () => {
  it.skipIf(skipReason !== undefined)(
    'answers 503 U and /readyz 503 while PostgreSQL is gone, recovers in the same process, processes everything acknowledged',
    async () => {
      const run = runCliProcess([
        'serve',
        ...serveArgs(
          url,
          '--admin-token',
          'outage-admin-token-0123456789abcdef',
          '--secret-key',
          'c'.repeat(64),
        ),
      ]);
      const { url: service } = JSON.parse(await run.firstLine) as { url: string };
      let exitedEarly: number | null | undefined;
      run.child.once('exit', (code) => {
        exitedEarly = code;
      });

      const acked = new Set<string>();
      const answers = new Map<string, number>();
      let phase = 'up';
      let running = true;
      let i = 0;
      const count = (status: number) => {
        const key = `${phase}:${status}`;
        answers.set(key, (answers.get(key) ?? 0) + 1);
      };
      const load = Promise.all(
        Array.from({ length: 6 }, async () => {
          while (running) {
            const token = `outage-${i++}`;
            const s = await signAsFixtureAlipay({
              authorizationNotifyType: 'TOKEN_CANCELED',
              accessToken: token,
              result: OK,
            });
            try {
              const response = await fetch(`${service}${s.path}`, {
                method: 'POST',
                headers: s.headers,
                body: s.body,
              });
              count(response.status);
              const body = (await response.json()) as { result: { resultStatus: string } };
              if (response.status === 200) acked.add(token);
              else {
                expect(response.status).toBe(503);
                expect(body.result.resultStatus).toBe('U');
              }
            } catch (error) {
              // The service must keep answering; a refused connection means it died.
              await new Promise((r) => setTimeout(r, 300));
              if (exitedEarly !== undefined) return;
              throw error;
            }
          }
        }),
      );

      const readyzWhileDown: number[] = [];
      const faults: Fault[] = ['restart', 'terminate', 'restart', 'terminate'];
      for (const fault of faults) {
        const before = acked.size;
        await until('notifications acknowledged before the fault', () => acked.size >= before + 40, {
          timeoutMs: 30_000,
        });
        if (fault === 'restart') {
          pgctl('stop -m immediate');
          phase = 'down';
          await until('503 answers while PostgreSQL is down', () => (answers.get('down:503') ?? 0) >= 5, {
            timeoutMs: 20_000,
          });
          readyzWhileDown.push((await fetch(`${service}/readyz`)).status);
          pgctl('start');
        } else {
          await sql(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
          );
        }
        phase = 'up';
        expect(exitedEarly).toBeUndefined();
      }
      const last = acked.size;
      await until('acknowledgements after the last fault', () => acked.size >= last + 40, {
        timeoutMs: 30_000,
      });
      running = false;
      await load;
      expect(exitedEarly).toBeUndefined();
      expect(answers.get('down:503') ?? 0).toBeGreaterThan(0);
      expect(readyzWhileDown).toEqual([503, 503]);
      expect((await fetch(`${service}/readyz`)).status).toBe(200);

      // Everything acknowledged is stored once and processed, by this same process.
      await until(
        'the processor to finish every acknowledged notification',
        async () => {
          const [row] = await sql<{ n: string }>(
            "SELECT COUNT(*) AS n FROM inbox WHERE status = 'PROCESSED'",
          );
          return Number(row?.n) >= acked.size;
        },
        { timeoutMs: 60_000, intervalMs: 250 },
      );
      const byStatus = await sql<{ status: string; n: string }>(
        'SELECT status, COUNT(*) AS n FROM inbox GROUP BY status',
      );
      const stored = Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)]));
      expect(stored.FAILED ?? 0).toBe(0);
      expect(stored.PROCESSED).toBeGreaterThanOrEqual(acked.size);
      const canceled = await sql<{ n: string }>('SELECT COUNT(*) AS n FROM tombstones');
      expect(Number(canceled[0]?.n)).toBeGreaterThanOrEqual(acked.size);

      run.child.kill('SIGTERM');
      expect(await run.exited()).toBe(0);
      console.log(
        `pg outages (${faults.join(', ')}): ${acked.size} acknowledged, all processed; answers ${[...answers].map(([k, n]) => `${k}×${n}`).join(' ')}; /readyz while down ${readyzWhileDown.join(',')}`,
      );
    },
    180_000,
  );
});
