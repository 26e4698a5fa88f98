/**
 * Crash safety of the receiver: a stream of distinct signed notifications while the process is killed with
 * SIGKILL at random moments and restarted, Alipay-style re-sending of everything not acknowledged. Then:
 * every acknowledged notification is in the inbox, every one is processed, handlers saw each at least once,
 * and the lifecycle effect exists exactly once per event.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { createNodeSecrets } from '../../src/receiver/node-secrets.js';
import { type SignedNotification, signNotification } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';
import { send, startChild } from './crash-harness.js';

const ROUNDS = 10;
const COUNT = 2000;

async function run(
  database: string,
  inspect: () => Promise<{ rows: { id: string; event_key: string; status: string }[]; tombstones: number }>,
) {
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-crash-'));
  const log = join(dir, 'handled.log');
  const portFile = join(dir, 'port');
  const key = fixtureText('keys/alipay-v1.private.pem');
  const all = await Promise.all(
    Array.from({ length: COUNT }, (_, i) =>
      signNotification({
        notification: {
          authorizationNotifyType: 'TOKEN_CANCELED',
          accessToken: `crash-${i}`,
          result: { resultCode: 'SUCCESS', resultStatus: 'S' },
        },
        clientId: 'SANDBOX_CRASH',
        privateKey: key,
      }),
    ),
  );
  // Waits up to 30 s for every notification to be stored and processed. Not reaching that is not fatal
  // here: the clean round below re-sends what is missing, and the assertions report what is still wrong.
  const allProcessed = () =>
    until(
      'every notification to be processed',
      async () => {
        const { rows } = await inspect();
        return rows.length === COUNT && rows.every((r) => r.status === 'PROCESSED');
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    ).catch(() => undefined);
  const acked = new Set<number>();
  const chunk = Math.ceil(COUNT / ROUNDS);
  let kills = 0;
  // The event key each notification is stored under (the child's secret key is 'c' × 64).
  const secrets = createNodeSecrets('c'.repeat(64));
  const eventKeys = await Promise.all(
    all.map(async (_, i) => `TOKEN_CANCELED:${await secrets.tokenHash(`crash-${i}`)}`),
  );
  /** Acknowledged before this round's kill but missing now: checked before the next round re-sends anything. */
  const lostAfterRound: { round: number; missing: number }[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const { child, url } = await startChild(database, log, portFile);
    const last = round === ROUNDS;
    // This round: a new chunk, everything not yet acknowledged, and some acknowledged ones again
    // (Alipay sends duplicates too).
    const fresh = Array.from({ length: chunk }, (_, k) => round * chunk + k).filter((i) => i < COUNT);
    const unacked = all.map((_, i) => i).filter((i) => i < round * chunk && !acked.has(i));
    const again = [...acked].slice(0, 20);
    const queue = [...unacked, ...fresh, ...again];
    const killer = last
      ? undefined
      : setTimeout(
          () => {
            child.kill('SIGKILL');
            kills++;
          },
          20 + Math.floor(Math.random() * 120),
        );
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift()) {
          if (await send(url, all[i] as SignedNotification)) acked.add(i);
        }
      }),
    );
    if (killer) clearTimeout(killer);
    if (child.exitCode === null && child.signalCode === null) {
      if (!last) {
        child.kill('SIGKILL'); // the round finished before the timer: kill now, mid-processing
        kills++;
      } else {
        // Last round: every notification was offered again; let the processor finish, then stop.
        await allProcessed();
        child.kill('SIGTERM');
      }
    }
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r),
    );
    // Re-sending in later rounds would re-store a lost row and hide the loss: count now, per round.
    const stored = new Set((await inspect()).rows.map((r) => r.event_key));
    const missing = [...acked].filter((i) => !stored.has(eventKeys[i] as string)).length;
    if (missing > 0) lostAfterRound.push({ round, missing });
  }
  // Whatever is still unacknowledged gets one more (clean) chance, as Alipay keeps retrying.
  if (acked.size < COUNT) {
    const { child, url } = await startChild(database, log, portFile);
    for (const [i, n] of all.entries()) if (!acked.has(i) && (await send(url, n))) acked.add(i);
    await allProcessed();
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  const { rows, tombstones } = await inspect();
  const handled = readFileSync(log, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[0] as string);
  return { acked: acked.size, rows, tombstones, handled, kills, lostAfterRound };
}

describe('crash safety (SIGKILL at random moments)', () => {
  it(`SQLite: ${ROUNDS} kills, nothing acknowledged is lost, every event processed and handled`, async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'authnotify-crash-db-')), 'crash.db');
    const inspect = async () => {
      if (!existsSync(path)) return { rows: [], tombstones: 0 };
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        const rows = db.prepare('SELECT id, event_key, status FROM inbox').all() as {
          id: string;
          event_key: string;
          status: string;
        }[];
        const tombstones = (db.prepare('SELECT COUNT(*) AS n FROM tombstones').get() as { n: number }).n;
        return { rows, tombstones };
      } finally {
        db.close();
      }
    };
    const r = await run(path, inspect);
    expect(r.kills).toBeGreaterThanOrEqual(ROUNDS);
    expect(r.lostAfterRound).toEqual([]); // after every kill, everything acknowledged so far was stored
    expect(r.acked).toBe(COUNT); // Alipay-style re-sending gets every one acknowledged in the end
    expect(r.rows).toHaveLength(COUNT); // each stored once (duplicates only bump a counter)
    expect(r.rows.every((row) => row.status === 'PROCESSED')).toBe(true);
    expect(r.tombstones).toBe(COUNT); // the lifecycle effect exists exactly once per event
    const handled = new Set(r.handled);
    expect(r.rows.every((row) => handled.has(row.id))).toBe(true); // handlers saw each at least once
    console.log(
      `crash (SQLite): ${r.kills} kills, ${COUNT} acknowledged, ${r.handled.length} handler runs for ${COUNT} events (${r.handled.length - COUNT} repeats after crashes)`,
    );
  }, 120_000);

  const schema = freshSchema('authnotify_crash');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(schema);
  });

  it.skipIf(pgSkipReason !== undefined)(
    `PostgreSQL: ${ROUNDS} kills, nothing acknowledged is lost`,
    async () => {
      const inspect = async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          const exists = await client.query(`SELECT to_regclass('"${schema}".inbox') AS t`);
          if (exists.rows[0].t === null) return { rows: [], tombstones: 0 };
          const rows = (await client.query(`SELECT id, event_key, status FROM "${schema}".inbox`)).rows as {
            id: string;
            event_key: string;
            status: string;
          }[];
          const tombstones = Number(
            (await client.query(`SELECT COUNT(*) AS n FROM "${schema}".tombstones`)).rows[0].n,
          );
          return { rows, tombstones };
        } finally {
          await client.end();
        }
      };
      const r = await run(`${PG_URL}?schema=${schema}`, inspect);
      expect(r.lostAfterRound).toEqual([]);
      expect(r.acked).toBe(COUNT);
      expect(r.rows).toHaveLength(COUNT);
      expect(r.rows.every((row) => row.status === 'PROCESSED')).toBe(true);
      expect(r.tombstones).toBe(COUNT);
      const handled = new Set(r.handled);
      expect(r.rows.every((row) => handled.has(row.id))).toBe(true);
      console.log(
        `crash (PostgreSQL): ${r.kills} kills, ${COUNT} acknowledged, ${r.handled.length} handler runs for ${COUNT} events`,
      );
    },
    120_000,
  );
});
