import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/adapters/node-http.js';
import { ManualClock } from '../../src/protocol/clock.js';
import { createKeyRing, type KeyRing, verifyMessage } from '../../src/protocol/index.js';
import { ALIPAY_RETRY_DELAYS_MS, parseSchedule } from '../../src/protocol/schedule.js';
import { createSender, type Sender, type SenderOptions } from '../../src/sender/sender.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, OK, START, testReceiver } from '../helpers/receiver.js';

const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';
type Plan = 'ack' | '500' | 'not-ack' | 'redirect' | 'hang' | 'big';

interface Seen {
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/** A merchant endpoint that answers by plan and records what it received. */
async function endpoint(): Promise<{
  url: string;
  plan: Plan[];
  seen: Seen[];
  redirectHits: number;
  close: () => Promise<void>;
}> {
  const state = { plan: [] as Plan[], seen: [] as Seen[], redirectHits: 0 };
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/elsewhere')) {
      state.redirectHits++;
      res.end(ACK);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.seen.push({
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const step = state.plan.shift() ?? 'ack';
      if (step === 'hang') return; // never answers
      if (step === '500') res.writeHead(500).end('{"result":{"resultStatus":"U"}}');
      else if (step === 'not-ack') res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
      else if (step === 'redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else if (step === 'big') res.writeHead(500).end('x'.repeat(100_000));
      else res.writeHead(200, { 'content-type': 'application/json' }).end(ACK);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alipay/notify/authorization?m=1`,
    get plan() {
      return state.plan;
    },
    seen: state.seen,
    get redirectHits() {
      return state.redirectHits;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const notification = (token = 'T-send') => ({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken: token,
  result: OK,
});

let ring: KeyRing;
beforeAll(async () => {
  ring = await createKeyRing({ '1': fixtureText('keys/alipay-v1.public.pem') });
});

describe('sender', () => {
  let store: Store;
  let sender: Sender;
  let clock: ManualClock;
  let server: Awaited<ReturnType<typeof endpoint>>;
  const make = async (extra: Partial<SenderOptions> = {}) => {
    clock = new ManualClock(START);
    store = await createSqliteStore({ path: ':memory:' });
    server = await endpoint();
    sender = await createSender({
      store,
      clientId: CLIENT_ID,
      privateKey: fixtureText('keys/alipay-v1.private.pem'),
      keyVersion: '1',
      clock,
      timeoutMs: 2000,
      ...extra,
    });
  };
  afterEach(async () => {
    await sender?.close();
    await server?.close();
    await store?.close();
  });

  it('delivers a signed notification that the receiver acknowledges and stores', async () => {
    await make();
    const target = await testReceiver();
    const http = createServer(toNodeHandler(target.receiver));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    try {
      target.clock.set(START);
      const to = `http://127.0.0.1:${(http.address() as AddressInfo).port}/alipay/notify/authorization`;
      const id = await sender.enqueue({ notification: notification(), to });
      expect(await sender.runOnce()).toBe(1);
      const result = await sender.get(id);
      expect(result?.delivery).toMatchObject({ status: 'ACKNOWLEDGED', attempts: 1 });
      expect(result?.attempts).toMatchObject([
        { number: 1, httpStatus: 200, verdict: 'ACKNOWLEDGED', responseExcerpt: ACK },
      ]);
      expect((await target.store.listInbox({ limit: 5 })).items).toHaveLength(1);
    } finally {
      await new Promise((r) => http.close(r));
    }
  });

  it('keeps the documented schedule, re-signing every delivery, until EXHAUSTED', async () => {
    await make();
    server.plan.push('500', '500', '500', '500', '500', '500', '500', '500');
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    for (let k = 0; k < 8; k++) {
      expect(await sender.runOnce()).toBe(1); // the clock stands exactly at the due time
      const after = await store.getOutbox(id);
      if (after?.status === 'PENDING') clock.set(after.nextAttemptAt - 1);
      expect(await sender.runOnce()).toBe(0); // not due one millisecond early
      clock.advance(1);
    }
    const { delivery, attempts } = (await sender.get(id)) as NonNullable<Awaited<ReturnType<Sender['get']>>>;
    expect(delivery.status).toBe('EXHAUSTED');
    expect(attempts).toHaveLength(8);
    const gaps = attempts.slice(1).map((a, i) => a.dueAt - (attempts[i]?.finishedAt as number));
    expect(gaps).toEqual(ALIPAY_RETRY_DELAYS_MS.slice(1));
    expect((attempts[7]?.dueAt ?? 0) - START).toBe((24 * 60 + 22) * 60_000);
    expect(new Set(server.seen.map((s) => s.headers['request-time'])).size).toBe(8);
    for (const s of server.seen) {
      const verdict = await verifyMessage(
        { receivedPath: s.path, headers: s.headers, body: new TextEncoder().encode(s.body) },
        { clientId: CLIENT_ID, keys: ring, window: false },
      );
      expect(verdict.ok).toBe(true);
    }
    expect(server.seen[0]?.path).toBe('/alipay/notify/authorization?m=1');
  });

  it('stops at the first acknowledgement', async () => {
    await make({ schedule: parseSchedule('0s,1m,1m') });
    server.plan.push('500', 'ack');
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    await sender.runOnce();
    clock.advance(60_000);
    await sender.runOnce();
    clock.advance(600_000);
    expect(await sender.runOnce()).toBe(0);
    expect((await sender.get(id))?.delivery).toMatchObject({ status: 'ACKNOWLEDGED', attempts: 2 });
    expect(server.seen).toHaveLength(2);
  });

  it.each([
    ['a 500', '500' as Plan, 'NOT_2XX', 500],
    ['a 200 that is not the ack body', 'not-ack' as Plan, 'NOT_AN_ACK', 200],
    ['a redirect, which is not followed', 'redirect' as Plan, 'REDIRECT_REFUSED', 302],
    ['no answer before the timeout', 'hang' as Plan, 'TIMEOUT', null],
  ])('counts %s as a failed delivery', async (_name, plan, verdict, status) => {
    await make({ schedule: parseSchedule('once'), timeoutMs: 300 });
    server.plan.push(plan);
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    await sender.runOnce();
    const result = await sender.get(id);
    expect(result?.delivery.status).toBe('EXHAUSTED');
    expect(result?.attempts[0]).toMatchObject({ verdict, httpStatus: status });
    expect(server.redirectHits).toBe(0);
  });

  it('counts a refused connection as a failed delivery', async () => {
    await make({ schedule: parseSchedule('once') });
    const id = await sender.enqueue({ notification: notification(), to: 'http://127.0.0.1:9/alipay/notify' });
    await sender.runOnce();
    expect((await sender.get(id))?.attempts[0]).toMatchObject({
      verdict: 'CONNECTION_REFUSED',
      errorClass: 'ECONNREFUSED',
    });
  });

  it('keeps only the first 4 KiB of a response', async () => {
    await make({ schedule: parseSchedule('once') });
    server.plan.push('big');
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    await sender.runOnce();
    expect((await sender.get(id))?.attempts[0]?.responseExcerpt?.length).toBe(4096);
  });

  it('redelivers an exhausted notification by hand, and cancels', async () => {
    await make({ schedule: parseSchedule('once') });
    server.plan.push('500');
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    await sender.runOnce();
    expect((await sender.redeliver(id)).run).toBe(2);
    await sender.runOnce();
    const result = await sender.get(id);
    expect(result?.delivery).toMatchObject({ status: 'ACKNOWLEDGED', run: 2, attempts: 1 });
    expect(result?.attempts.map((a) => [a.run, a.number, a.verdict])).toEqual([
      [1, 1, 'NOT_2XX'],
      [2, 1, 'ACKNOWLEDGED'],
    ]);
    await expect(sender.cancel(id)).rejects.toMatchObject({ code: 'CONFLICT' });
    const other = await sender.enqueue({
      notification: notification('T-2'),
      to: server.url,
      schedule: parseSchedule('1h'),
    });
    expect((await sender.cancel(other)).status).toBe('CANCELED');
    clock.advance(2 * 3_600_000);
    expect(await sender.runOnce()).toBe(0);
    await expect(sender.redeliver('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('takes over a delivery whose worker died mid-attempt', async () => {
    await make({ leaseMs: 30_000 });
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    await store.claimOutbox({ now: clock.now(), limit: 1, leaseMs: 30_000, owner: 'dead-worker' });
    expect(await sender.runOnce()).toBe(0);
    clock.advance(30_001);
    expect(await sender.runOnce()).toBe(1);
    expect((await sender.get(id))?.delivery.status).toBe('ACKNOWLEDGED');
  });

  it('scales the schedule with timeScale', async () => {
    await make({ timeScale: 3600 });
    const id = await sender.enqueue({ notification: notification(), to: server.url });
    expect((await store.getOutbox(id))?.schedule).toEqual([0, 33, 167, 167, 1000, 2000, 6000, 15000]);
  });

  it.each([
    ['not a URL', 'nope'],
    ['another scheme', 'ftp://127.0.0.1/notify'],
  ])('refuses a target that is %s', async (_name, to) => {
    await make();
    await expect(sender.enqueue({ notification: notification(), to })).rejects.toMatchObject({
      code: 'PARAM_ILLEGAL',
    });
  });
});
