/**
 * Forwarding throughput: events delivered to a destination (fanned out into deliveries, leased, signed per
 * Standard Webhooks, POSTed, judged, attempt logged) against the floor of that work — the same signatures
 * and POSTs to the same server at the same concurrency, with no store. SQLite, and PostgreSQL when one
 * answers. Reported as events/s, the ratio to the floor, and CPU µs per event in this process.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { Agent } from 'undici';
import { generateWebhookSecret, webhookHeaders } from '../src/events/standard-webhooks.js';
import { postWithTimeout } from '../src/http/node-http-post.js';
import { createForwarder } from '../src/sender/forwarder.js';
import { createPostgresStore } from '../src/store/postgres/index.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';
import type { Store } from '../src/store/types.js';

const ROOT = new URL('..', import.meta.url).pathname;
const PG_URL = process.env.AUTHNOTIFY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CONCURRENCY = 16;

/** `count` ACTIVE authorizations made through TOKEN_CREATED: one authorization.activated event each. */
async function makeEvents(store: Store, count: number): Promise<void> {
  for (let i = 0; i < count; i += 200) {
    const now = Date.now();
    await store.applyEvents(
      Array.from({ length: Math.min(200, count - i) }, (_, k) => ({
        input: { lookup: { tokenHash: `bench-${i + k}` }, timelineId: `bench-tl-${now}-${i + k}`, now },
        event: {
          kind: 'TOKEN_CREATED' as const,
          tokenHash: `bench-${i + k}`,
          source: 'notification' as const,
        },
        ctx: { now, newId: `bench-au-${now}-${i + k}`, inboxId: null, acceptUnknownAuthState: true },
      })),
    );
  }
}

async function pgReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const cpuMicros = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

async function forwardRun(store: Store, url: string, count: number): Promise<{ rate: number; cpu: number }> {
  const secret = generateWebhookSecret();
  await store.events.createDestination({
    id: `bench-dst-${Date.now()}`,
    url,
    description: null,
    types: null,
    secrets: [{ sealed: secret, createdAt: Date.now(), expiresAt: null }],
    source: 'api',
    createdAt: Date.now(),
  });
  await makeEvents(store, count);
  const forwarder = createForwarder({
    store,
    openSecret: async (s) => s,
    concurrency: CONCURRENCY,
    batchSize: 256,
    fanOutLimit: 1000,
  });
  const t = performance.now();
  const c = cpuMicros();
  let done = 0;
  while (done < count) done += await forwarder.runOnce();
  const rate = (count / (performance.now() - t)) * 1000;
  const cpu = (cpuMicros() - c) / count;
  await forwarder.close();
  return { rate, cpu };
}

export async function benchForward(count = 4000): Promise<void> {
  const server = spawn(process.execPath, [join(ROOT, 'bench/servers/floor.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url));
    server.once('exit', (code) => reject(new Error(`floor server exited with ${code}`)));
  });
  const url = `${base}/authnotify/events`;
  try {
    // The floor: sign and POST the same kind of payload, same concurrency, no store.
    const secret = generateWebhookSecret();
    const agent = new Agent({ keepAliveTimeout: 10_000, connections: CONCURRENCY });
    const payload = (i: number) =>
      JSON.stringify({
        type: 'authorization.activated',
        timestamp: new Date().toISOString(),
        data: { id: `au-${i}`, version: 0 },
      });
    let next = 0;
    const t = performance.now();
    const c = cpuMicros();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < count; i = next++) {
          const body = new TextEncoder().encode(payload(i));
          const headers = await webhookHeaders({ id: `evt-${i}`, at: Date.now(), body, secrets: [secret] });
          const response = await postWithTimeout(agent, {
            url,
            headers: { ...headers, 'content-type': 'application/json' },
            body,
            timeoutMs: 15_000,
          });
          await response.body.dump();
        }
      }),
    );
    const floor = (count / (performance.now() - t)) * 1000;
    const floorCpu = (cpuMicros() - c) / count;
    await agent.close();

    const rows: [string, number, number][] = [['sign + POST only, no store (floor)', floor, floorCpu]];
    const sqlite = await createSqliteStore({ path: `/tmp/authnotify-bench-forward-${Date.now()}.db` });
    const s = await forwardRun(sqlite, url, count);
    await sqlite.close();
    rows.push(['forwarder, SQLite (fan-out, lease, sign, POST, log)', s.rate, s.cpu]);
    if (await pgReachable()) {
      const schema = `authnotify_bench_fw_${Date.now().toString(36)}`;
      const store = await createPostgresStore({ connectionString: PG_URL, schema });
      const p = await forwardRun(store, url, count);
      await store.close();
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
      rows.push(['forwarder, PostgreSQL', p.rate, p.cpu]);
    } else console.log('(PostgreSQL row skipped: no server answers at the test URL)');
    console.log(
      `\n## forwarding throughput (${count} events, concurrency ${CONCURRENCY}, node ${process.version})`,
    );
    for (const [name, rate, cpu] of rows)
      console.log(
        `${name.padEnd(56)} ${rate.toFixed(0).padStart(7)} events/s  ${(rate / floor).toFixed(2)}× floor   ${cpu.toFixed(0).padStart(5)} CPU µs/event (this process)`,
      );
  } finally {
    server.kill('SIGTERM');
  }
}
