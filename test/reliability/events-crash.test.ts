/**
 * Events go with their change, across SIGKILL: tokens created (ACTIVE) and canceled while the merchant
 * process is killed at random moments mid-processing and restarted. Afterwards every status change of
 * every authorization has exactly one event, carrying the timeline entry's id and the status it moved to,
 * and there is no event without a change.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { type SignedNotification, signNotification } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';
import { send, startChild } from './crash-harness.js';

const ROUNDS = 6;
const TOKENS = 300;

interface Snapshot {
  inbox: { status: string }[];
  /** Timeline entries that moved a status (what events mirror). */
  moves: { id: string; authorization_id: string; to_status: string }[];
  events: { id: string; type: string; authorization_id: string | null; payload: string }[];
}

const MOVES = `SELECT id, authorization_id, to_status FROM authorization_events
  WHERE to_status IS NOT NULL AND (from_status IS NULL OR from_status <> to_status)`;
const EVENTS = 'SELECT id, type, authorization_id, payload FROM events';

async function scenario(database: string, snapshot: () => Promise<Snapshot>) {
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-events-crash-'));
  const key = fixtureText('keys/alipay-v1.private.pem');
  const sign = (notification: Record<string, unknown>) =>
    signNotification({ notification, clientId: 'SANDBOX_CRASH', privateKey: key });
  const result = { resultCode: 'SUCCESS', resultStatus: 'S' };
  const created = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) =>
      sign({
        authorizationNotifyType: 'TOKEN_CREATED',
        accessToken: `ev-${i}`,
        authState: `st-${i}`,
        result,
      }),
    ),
  );
  const canceled = await Promise.all(
    Array.from({ length: TOKENS }, (_, i) =>
      sign({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: `ev-${i}`, reason: `r${i}`, result }),
    ),
  );
  // Every token is created, and canceled a little later (sometimes the cancel overtakes the create).
  const all: SignedNotification[] = created.flatMap((n, i) => [n, canceled[i] as SignedNotification]);
  const acked = new Set<number>();
  let kills = 0;
  const chunk = Math.ceil(all.length / ROUNDS);
  const env = { ACCEPT_UNKNOWN_AUTH_STATE: '1', LEASE_MS: '300' };
  for (let round = 0; round <= ROUNDS; round++) {
    const { child, url } = await startChild(database, join(dir, 'handled.log'), join(dir, 'port'), env);
    const last = round === ROUNDS;
    const queue = all.map((_, i) => i).filter((i) => i < (round + 1) * chunk && !acked.has(i));
    if (round % 2 === 1) queue.reverse();
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = queue.shift(); i !== undefined; i = queue.shift())
          if (await send(url, all[i] as SignedNotification)) acked.add(i);
      }),
    );
    if (last) {
      await until(
        'every notification to be processed',
        async () => {
          const s = await snapshot();
          return s.inbox.length === all.length && s.inbox.every((r) => r.status === 'PROCESSED');
        },
        { timeoutMs: 60_000, intervalMs: 100 },
      );
      child.kill('SIGTERM');
    } else {
      // Killed while it processes what it just acknowledged.
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 60)));
      child.kill('SIGKILL');
      kills++;
    }
    await new Promise((r) =>
      child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once('exit', r),
    );
  }
  return { acked: acked.size, kills, total: all.length, ...(await snapshot()) };
}

function expectEventsMirrorChanges(r: Awaited<ReturnType<typeof scenario>>) {
  expect(r.kills).toBe(ROUNDS);
  expect(r.acked).toBe(r.total);
  const byId = new Map(r.events.map((e) => [e.id, e]));
  // every change has its event, with the change's authorization and the status it moved to
  for (const m of r.moves) {
    const e = byId.get(m.id);
    expect(e, `no event for the change ${m.id}`).toBeDefined();
    expect(e?.authorization_id).toBe(m.authorization_id);
    expect(JSON.parse(e?.payload as string).data.status).toBe(m.to_status);
  }
  // and no event without its change
  const moves = new Set(r.moves.map((m) => m.id));
  expect(r.events.filter((e) => !moves.has(e.id))).toEqual([]);
  // each authorization was activated (or born canceled) and canceled, once
  const perAuthorization = new Map<string, string[]>();
  for (const e of r.events)
    perAuthorization.set(e.authorization_id as string, [
      ...(perAuthorization.get(e.authorization_id as string) ?? []),
      e.type,
    ]);
  expect(perAuthorization.size).toBe(TOKENS);
  for (const types of perAuthorization.values()) {
    expect(types.filter((t) => t === 'authorization.canceled')).toHaveLength(1);
    expect(types.filter((t) => t === 'authorization.activated').length).toBeLessThanOrEqual(1);
  }
}

describe('events are written with their change, across SIGKILL', () => {
  it(`SQLite: ${ROUNDS} kills mid-processing`, async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'authnotify-events-crash-db-')), 'crash.db');
    const r = await scenario(path, async () => {
      const db = new Database(path, { readonly: true, fileMustExist: true });
      try {
        return {
          inbox: db.prepare('SELECT status FROM inbox').all() as Snapshot['inbox'],
          moves: db.prepare(MOVES).all() as Snapshot['moves'],
          events: db.prepare(EVENTS).all() as Snapshot['events'],
        };
      } finally {
        db.close();
      }
    });
    expectEventsMirrorChanges(r);
    console.log(
      `events crash (SQLite): ${r.kills} kills, ${r.moves.length} changes, ${r.events.length} events`,
    );
  }, 180_000);

  const schema = freshSchema('authnotify_events_crash');
  afterAll(async () => {
    if (!pgSkipReason) await dropSchema(schema);
  });

  it.skipIf(pgSkipReason !== undefined)(
    `PostgreSQL: ${ROUNDS} kills mid-processing`,
    async () => {
      const r = await scenario(`${PG_URL}?schema=${schema}`, async () => {
        const client = new pg.Client({ connectionString: PG_URL });
        await client.connect();
        try {
          const exists = await client.query(`SELECT to_regclass('"${schema}".events') AS t`);
          if (exists.rows[0].t === null) return { inbox: [], moves: [], events: [] };
          await client.query(`SET search_path TO "${schema}"`);
          return {
            inbox: (await client.query('SELECT status FROM inbox')).rows,
            moves: (await client.query(MOVES)).rows,
            events: (await client.query(EVENTS)).rows,
          };
        } finally {
          await client.end();
        }
      });
      expectEventsMirrorChanges(r);
      console.log(
        `events crash (PostgreSQL): ${r.kills} kills, ${r.moves.length} changes, ${r.events.length} events`,
      );
    },
    180_000,
  );
});
