/**
 * PostgreSQL stopped (immediate shutdown, like a crash) and restarted under load. While it is down every
 * answer is 503 with resultStatus U, never 200; the same receiver recovers by itself; nothing acknowledged is
 * lost. Uses a throwaway PostgreSQL cluster of its own (initdb into a temp dir) so the shared server, which
 * other suites use in parallel, is never touched. Skips with the reason where that cannot be done.
 */
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { OK, testReceiver } from '../helpers/receiver.js';

const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [];
const bin = versions.length > 0 ? `/usr/lib/postgresql/${versions.sort().at(-1)}/bin` : '';
const dir = mkdtempSync(join(tmpdir(), 'authnotify-pgoutage-'));
const port = 54_000 + Math.floor(Math.random() * 900);

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

describe('PostgreSQL outage under load', () => {
  it.skipIf(skipReason !== undefined)(
    'answers 503 U while PostgreSQL is down, recovers without a restart, loses nothing acknowledged',
    async () => {
      const store = await createPostgresStore({
        connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`,
        connectTimeoutMs: 1000,
      });
      const t = await testReceiver({ clock: { now: () => Date.now() } }, store);
      const acked: string[] = [];
      const phases: Record<string, Map<number, number>> = {
        before: new Map(),
        down: new Map(),
        after: new Map(),
      };
      let phase: keyof typeof phases = 'before';
      let i = 0;
      let running = true;
      const load = Promise.all(
        Array.from({ length: 8 }, async () => {
          while (running) {
            const token = `outage-${i++}`;
            const response = await t.send({
              authorizationNotifyType: 'TOKEN_CANCELED',
              accessToken: token,
              result: OK,
            });
            const m = phases[phase] as Map<number, number>;
            m.set(response.status, (m.get(response.status) ?? 0) + 1);
            if (response.status === 200) acked.push(token);
            else {
              expect(response.status).toBe(503);
              expect(await response.json()).toMatchObject({ result: { resultStatus: 'U' } });
            }
          }
        }),
      );
      await new Promise((r) => setTimeout(r, 800));
      pgctl('stop -m immediate');
      phase = 'down';
      const ackedBeforeDown = acked.length;
      await new Promise((r) => setTimeout(r, 1500));
      const ackedWhileDown = acked.length - ackedBeforeDown;
      pgctl('start');
      phase = 'after';
      const deadline = Date.now() + 15_000;
      while ((phases.after?.get(200) ?? 0) < 50 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      running = false;
      await load;
      // Requests in flight at the moment of the stop may have committed just before it; none after.
      expect(ackedWhileDown).toBeLessThanOrEqual(8);
      expect(phases.down?.get(503) ?? 0).toBeGreaterThan(0);
      expect(phases.after?.get(200) ?? 0).toBeGreaterThanOrEqual(50);
      const stored = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await store.listInbox({ limit: 200, cursor });
        for (const row of page.items) stored.add(row.eventKey);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      for (const token of acked)
        expect(stored.has(`TOKEN_CANCELED:${await t.receiver.secrets.tokenHash(token)}`)).toBe(true);
      await store.close();
      const show = (m: Map<number, number> | undefined) =>
        [...(m ?? [])].map(([s, n]) => `${s}×${n}`).join(' ');
      console.log(
        `pg outage: before ${show(phases.before)} | down ${show(phases.down)} | after ${show(phases.after)}; ${acked.length} acknowledged, all stored`,
      );
    },
    60_000,
  );
});
