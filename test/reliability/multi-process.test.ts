/**
 * Several processes on one PostgreSQL: two receivers share the inbox, two senders share the outbox, and
 * sender workers are killed mid-delivery. No inbox row is processed by two processes at once, no delivery
 * is made by two workers at once, every delivery ends ACKNOWLEDGED or EXHAUSTED, and the attempt log agrees.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/events/standard-webhooks.js';
import { systemClock } from '../../src/protocol/clock.js';
import { ALIPAY_SCHEDULE } from '../../src/protocol/schedule.js';
import { createNodeSecrets } from '../../src/receiver/node-secrets.js';
import { createSender } from '../../src/sender/sender.js';
import { Destinations } from '../../src/service/destinations.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { type SignedNotification, signNotification } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';
import { until } from '../helpers/wait.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const schemas: string[] = [];
afterAll(async () => {
  if (!pgSkipReason) for (const s of schemas) await dropSchema(s);
});

function spawnTs(script: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, ...env },
  });
}

interface Span {
  key: string;
  who: string;
  start: number;
  end: number;
}

/** Pairs of spans for the same key that overlap in time. */
function overlaps(spans: Span[]): [Span, Span][] {
  const byKey = new Map<string, Span[]>();
  for (const s of spans) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
  const out: [Span, Span][] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => a.start - b.start);
    for (let i = 1; i < list.length; i++)
      if ((list[i] as Span).start < (list[i - 1] as Span).end)
        out.push([list[i - 1] as Span, list[i] as Span]);
  }
  return out;
}

describe.skipIf(pgSkipReason !== undefined)('several processes on one PostgreSQL', () => {
  it('two receivers share the inbox and never process one row at the same time', async () => {
    const schema = freshSchema('authnotify_scale');
    schemas.push(schema);
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-scale-'));
    const log = join(dir, 'handled.log');
    const children = [0, 1].map((i) => {
      rmSync(join(dir, `port${i}`), { force: true });
      return spawnTs(
        'test/reliability/crash-child.ts',
        [`${PG_URL}?schema=${schema}`, log, join(dir, `port${i}`)],
        { HANDLER_DELAY_MS: '3', LEASE_MS: '10000' },
      );
    });
    try {
      await until(
        'receivers to start',
        () =>
          [0, 1].every(
            (i) => existsSync(join(dir, `port${i}`)) && readFileSync(join(dir, `port${i}`), 'utf8') !== '',
          ),
        { timeoutMs: 20_000, intervalMs: 100 },
      );
      const urls = [0, 1].map((i) => `http://127.0.0.1:${readFileSync(join(dir, `port${i}`), 'utf8')}`);
      const key = fixtureText('keys/alipay-v1.private.pem');
      const count = 600;
      const all: SignedNotification[] = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          signNotification({
            notification: {
              authorizationNotifyType: 'TOKEN_CANCELED',
              accessToken: `scale-${i}`,
              result: { resultCode: 'SUCCESS', resultStatus: 'S' },
            },
            clientId: 'SANDBOX_CRASH',
            privateKey: key,
          }),
        ),
      );
      let next = 0;
      await Promise.all(
        Array.from({ length: 16 }, async (_, w) => {
          for (let i = next++; i < count; i = next++) {
            const n = all[i] as SignedNotification;
            const response = await fetch(`${urls[w % 2]}${n.path}`, {
              method: 'POST',
              headers: n.headers,
              body: n.body,
            });
            expect(response.status).toBe(200);
          }
        }),
      );
      const spans = () =>
        (existsSync(log) ? readFileSync(log, 'utf8') : '')
          .split('\n')
          .filter(Boolean)
          .map((line) => {
            const [id, pid, start, end] = line.split(' ');
            return { key: id as string, who: pid as string, start: Number(start), end: Number(end) };
          });
      await until(
        'every notification to be handled',
        () => new Set(spans().map((s) => s.key)).size === count,
        {
          timeoutMs: 30_000,
          intervalMs: 100,
        },
      );
      const handled = spans();
      expect(overlaps(handled)).toEqual([]);
      expect(handled).toHaveLength(count); // exactly once each: no process took a row another was working on
      const perProcess = new Map<string, number>();
      for (const s of handled) perProcess.set(s.who, (perProcess.get(s.who) ?? 0) + 1);
      expect(perProcess.size).toBe(2); // the work was shared
      console.log(
        `scale-out: ${count} notifications handled once each by 2 processes (${[...perProcess.values()].join(' + ')}), no overlap`,
      );
    } finally {
      for (const c of children) c.kill('SIGTERM');
    }
  }, 120_000);

  it('sender workers killed mid-delivery: every delivery finishes, none is made twice at once, the attempt log agrees', async () => {
    const schema = freshSchema('authnotify_senders');
    schemas.push(schema);
    const spans: Span[] = [];
    const inFlight = new Map<string, number>();
    // The merchant: acknowledges most deliveries after a short while, fails some so retries happen.
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const token = (JSON.parse(Buffer.concat(chunks).toString()) as { accessToken: string }).accessToken;
        const start = Date.now();
        inFlight.set(token, (inFlight.get(token) ?? 0) + 1);
        setTimeout(
          () => {
            inFlight.set(token, (inFlight.get(token) ?? 1) - 1);
            spans.push({ key: token, who: String(req.headers['request-time']), start, end: Date.now() });
            if (Math.random() < 0.25) res.writeHead(500).end('busy');
            else
              res
                .writeHead(200, { 'content-type': 'application/json' })
                .end('{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}');
          },
          5 + Math.floor(Math.random() * 30),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const to = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alipay/notify/authorization`;
    const store = await createPostgresStore({ connectionString: PG_URL, schema });
    const enqueuer = await createSender({
      store,
      clientId: 'SANDBOX_CRASH',
      privateKey: fixtureText('keys/alipay-v1.private.pem'),
      timeScale: 60_000,
    });
    const count = 300;
    const ids: string[] = [];
    for (let i = 0; i < count; i++)
      ids.push(
        await enqueuer.enqueue({
          notification: {
            authorizationNotifyType: 'TOKEN_CANCELED',
            accessToken: `send-${i}`,
            result: { resultCode: 'SUCCESS', resultStatus: 'S' },
          },
          to,
          schedule: ALIPAY_SCHEDULE,
        }),
      );
    const workers = [
      spawnTs('test/reliability/sender-child.ts', [`${PG_URL}?schema=${schema}`]),
      spawnTs('test/reliability/sender-child.ts', [`${PG_URL}?schema=${schema}`]),
    ];
    let kills = 0;
    try {
      for (let round = 0; round < 8; round++) {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 200)));
        const victim = round % 2;
        workers[victim]?.kill('SIGKILL');
        kills++;
        workers[victim] = spawnTs('test/reliability/sender-child.ts', [`${PG_URL}?schema=${schema}`]);
      }
      const finished = async () => {
        const rows = await Promise.all(ids.map((id) => store.getOutbox(id)));
        return rows.every((r) => r?.status === 'ACKNOWLEDGED' || r?.status === 'EXHAUSTED');
      };
      await until('every delivery to finish', finished, { timeoutMs: 60_000, intervalMs: 100 });
      expect(overlaps(spans)).toEqual([]);
      let acknowledged = 0;
      for (const id of ids) {
        const row = await store.getOutbox(id);
        const attempts = await store.listAttempts(id);
        expect(attempts.map((a) => a.number)).toEqual(
          Array.from({ length: row?.attempts ?? 0 }, (_, k) => k + 1),
        );
        if (row?.status === 'ACKNOWLEDGED') acknowledged++;
      }
      const deliveries = spans.length;
      console.log(
        `senders: ${kills} kills, ${count} notifications, ${acknowledged} acknowledged, ${count - acknowledged} exhausted, ${deliveries} deliveries seen, no overlap`,
      );
      expect(acknowledged).toBeGreaterThan(count * 0.95);
    } finally {
      for (const w of workers) w?.kill('SIGTERM');
      await enqueuer.close();
      await store.close();
      server.close();
    }
  }, 120_000);

  it('forwarders killed mid-delivery: every event reaches the destination, none is delivered twice at once', async () => {
    const schema = freshSchema('authnotify_forwarders');
    schemas.push(schema);
    const spans: Span[] = [];
    const seen = new Set<string>();
    const secret = generateWebhookSecret();
    const wh = new Webhook(secret);
    let unverified = 0;
    // The merchant's endpoint: answers most events after a short while, fails some so retries happen.
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        try {
          wh.verify(body, req.headers as Record<string, string>);
        } catch {
          unverified++;
        }
        const id = String(req.headers['webhook-id']);
        const start = Date.now();
        setTimeout(
          () => {
            spans.push({ key: id, who: String(req.headers['webhook-timestamp']), start, end: Date.now() });
            if (Math.random() < 0.25) res.writeHead(500).end('busy');
            else {
              seen.add(id);
              res.writeHead(204).end();
            }
          },
          5 + Math.floor(Math.random() * 30),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const store = await createPostgresStore({ connectionString: PG_URL, schema });
    const destinations = new Destinations(store, createNodeSecrets('f'.repeat(64)), systemClock);
    await destinations.create({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
      secret,
    });
    const count = 300;
    for (let i = 0; i < count; i += 50) {
      const now = Date.now();
      await store.applyEvents(
        Array.from({ length: 50 }, (_, k) => ({
          input: { lookup: { tokenHash: `fw-${i + k}` }, timelineId: `fw-tl-${i + k}`, now },
          event: {
            kind: 'TOKEN_CREATED' as const,
            tokenHash: `fw-${i + k}`,
            source: 'notification' as const,
          },
          ctx: { now, newId: `fw-au-${i + k}`, inboxId: null, acceptUnknownAuthState: true },
        })),
      );
    }
    const spawnWorker = () => spawnTs('test/reliability/forwarder-child.ts', [`${PG_URL}?schema=${schema}`]);
    const workers = [spawnWorker(), spawnWorker()];
    let kills = 0;
    try {
      for (let round = 0; round < 8; round++) {
        await new Promise((r) => setTimeout(r, 150 + Math.floor(Math.random() * 200)));
        const victim = round % 2;
        workers[victim]?.kill('SIGKILL');
        kills++;
        workers[victim] = spawnWorker();
      }
      const finished = async () => {
        const page = await store.events.listDeliveries({ limit: 1000 });
        return (
          page.items.length === count &&
          page.items.every((d) => d.status === 'DELIVERED' || d.status === 'EXHAUSTED')
        );
      };
      await until('every forwarded delivery to finish', finished, { timeoutMs: 60_000, intervalMs: 100 });
      expect(overlaps(spans)).toEqual([]);
      expect(unverified).toBe(0);
      const deliveries = (await store.events.listDeliveries({ limit: 1000 })).items;
      for (const d of deliveries) {
        const attempts = await store.events.listDeliveryAttempts(d.id);
        expect(attempts.map((a) => a.number)).toEqual(Array.from({ length: d.attempts }, (_, k) => k + 1));
      }
      const delivered = deliveries.filter((d) => d.status === 'DELIVERED').length;
      expect(delivered).toBe(count); // eight tries at a 25 % failure rate: all get through
      expect(seen.size).toBe(count);
      console.log(
        `forwarders: ${kills} kills, ${count} events, ${delivered} delivered, ${spans.length} requests seen, no overlap`,
      );
    } finally {
      for (const w of workers) w?.kill('SIGTERM');
      await store.close();
      server.close();
    }
  }, 120_000);
});
