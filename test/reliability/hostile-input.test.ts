/**
 * Hostile input against the notify endpoint over raw TCP: random and mutated headers and bodies, invalid
 * UTF-8, deep nesting, huge numbers, duplicate keys, several Signature headers, other algorithms, keyVersion
 * injection, path confusion, content-type tricks, truncated bodies. Never a 5xx, never a crash or unhandled
 * rejection, and nothing stored for unauthenticated input. Bounded in count and time; 127.0.0.1 only.
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/adapters/node-http.js';
import type { Clock } from '../../src/protocol/clock.js';
import type { RunningService } from '../../src/service/server.js';
import { createThreadedSqliteStore } from '../../src/store/sqlite-thread/thread-store.js';
import { signNotification } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, OK, signAsFixtureAlipay, type TestReceiver, testReceiver } from '../helpers/receiver.js';
import { startTestService } from '../helpers/service.js';
import { until } from '../helpers/wait.js';

let t: TestReceiver<Clock>;
let server: Server;
let port: number;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => void unhandled.push(reason);

beforeAll(async () => {
  process.on('unhandledRejection', onUnhandled);
  t = await testReceiver({ clock: { now: () => Date.now() } });
  server = createServer(toNodeHandler(t.receiver));
  server.requestTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await new Promise((r) => server.close(r));
});

/** Sends raw bytes and returns the status code, or null when the server closed without one. */
function raw(request: Buffer, { halfClose = true } = {}): Promise<number | null> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    const done = (status: number | null) => {
      socket.destroy();
      resolve(status);
    };
    socket.setTimeout(3000, () => done(null));
    socket.on('data', (d) => {
      data += d.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(data);
      if (m) done(Number(m[1]));
    });
    socket.on('error', () => done(null));
    socket.on('close', () => done(/^HTTP\/1\.1 (\d{3})/.exec(data) ? Number(RegExp.$1) : null));
    socket.write(request, () => {
      if (halfClose) socket.end();
    });
  });
}

function build(method: string, path: string, headers: [string, string][], body: Buffer): Buffer {
  const head = [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Content-Length: ${body.length}`,
    'Connection: close',
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ].join('\r\n');
  return Buffer.concat([Buffer.from(`${head}\r\n\r\n`, 'latin1'), body]);
}

const b64 = fc.stringMatching(/^[A-Za-z0-9+/]{0,400}={0,2}$/);
const signature = fc.oneof(
  b64.map((v) => `algorithm=RSA256,keyVersion=1,signature=${encodeURIComponent(v)}`),
  b64.map((v) => `algorithm=RSA256,keyVersion=1,signature=${v}`),
  fc.constantFrom(
    'algorithm=RSA512,keyVersion=1,signature=AAAA',
    'algorithm=none,signature=',
    'algorithm=RSA256,keyVersion=1,keyVersion=2,signature=AA==',
    'algorithm=RSA256,keyVersion=../../etc,signature=AA==',
    'algorithm=RSA256,keyVersion=1%2CkeyVersion%3D2,signature=AA==',
    'signature=%ZZ%',
    '=,=,=',
  ),
  fc.string({ maxLength: 200 }).map((s) => s.replace(/[\r\n]/g, ' ')),
);
const headerSet = fc.record({
  clientId: fc.oneof(
    fc.constant(CLIENT_ID),
    fc.constant(''),
    fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, '')),
    fc.constant('x'.repeat(5000)),
  ),
  requestTime: fc.oneof(
    fc.constant(String(Date.now())),
    fc.constant('9'.repeat(400)),
    fc.constant('2019-05-28T12:12:12+08:00'),
    fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, '')),
  ),
  signatures: fc.array(signature, { minLength: 0, maxLength: 3 }),
  contentType: fc.oneof(
    {
      arbitrary: fc.constantFrom('application/json; charset=UTF-8', 'application/json', 'APPLICATION/JSON'),
      weight: 5,
    },
    {
      arbitrary: fc.constantFrom(
        'text/plain',
        'application/jsonx',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        '',
      ),
      weight: 1,
    },
  ),
});
const path = fc.constantFrom(
  '/alipay/notify/authorization',
  '//alipay/notify/authorization',
  '/alipay%2Fnotify%2Fauthorization',
  '/alipay/notify/../notify/authorization',
  '/alipay/notify/authorization?x=1&x=2',
  '/alipay/notify/authorization#frag',
  '/alipay/notify/authorization%00',
  '/%ZZ',
  `/${'a'.repeat(2000)}`,
);
const body = fc.oneof(
  fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
  fc.constant(Buffer.from('['.repeat(50_000))),
  fc.constant(Buffer.from(`{"a":${'9'.repeat(5000)}}`)),
  fc.constant(
    Buffer.from(
      '{"authorizationNotifyType":"TOKEN_CANCELED","authorizationNotifyType":"TOKEN_CREATED","accessToken":"T","result":{"resultCode":"SUCCESS","resultStatus":"S"}}',
    ),
  ),
  fc.constant(Buffer.from([0x7b, 0xc3, 0x28, 0xa0, 0xa1, 0x7d])),
  fc.json().map((j) => Buffer.from(j)),
);

describe('hostile input on the notify endpoint', () => {
  it('never answers 5xx and stores nothing for requests that are not genuinely signed', async () => {
    const statuses = new Map<number | null, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { arbitrary: fc.constant('POST'), weight: 8 },
          { arbitrary: fc.constantFrom('GET', 'PUT', 'DELETE'), weight: 1 },
        ),
        path,
        headerSet,
        body,
        async (method, p, h, b) => {
          const headers: [string, string][] = [
            ['Client-Id', h.clientId],
            ['Request-Time', h.requestTime],
            ...h.signatures.map((s): [string, string] => ['Signature', s]),
            ...(h.contentType ? [['Content-Type', h.contentType] as [string, string]] : []),
          ];
          const status = await raw(build(method, p, headers, b));
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          expect(status === null || (status >= 400 && status < 500)).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
    const counts = await t.store.countInbox();
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
    expect(unhandled).toEqual([]);
    console.log(`hostile input: ${[...statuses].map(([s, n]) => `${s ?? 'closed'}×${n}`).join(' ')}`);
  }, 120_000);

  it('survives truncated and trickled bodies, then still accepts a genuine notification', async () => {
    const partial = build(
      'POST',
      '/alipay/notify/authorization',
      [['Content-Type', 'application/json']],
      Buffer.from('{"a":1}'),
    ).subarray(0, 120);
    for (let i = 0; i < 20; i++) await raw(partial); // headers promise more body than ever arrives
    // A slow sender: a byte at a time, then the connection drops.
    await new Promise<void>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      const bytes = build(
        'POST',
        '/alipay/notify/authorization',
        [['Content-Type', 'application/json']],
        Buffer.from(`{"x":"${'y'.repeat(50)}"}`),
      );
      let i = 0;
      const timer = setInterval(() => {
        if (i >= 80) {
          clearInterval(timer);
          socket.destroy();
          resolve();
          return;
        }
        socket.write(bytes.subarray(i, i + 1));
        i++;
      }, 2);
      socket.on('error', () => undefined);
    });
    const genuine = await signNotification({
      notification: { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T-after', result: OK },
      clientId: CLIENT_ID,
      privateKey: fixtureText('keys/alipay-v1.private.pem'),
    });
    const response = await fetch(`http://127.0.0.1:${port}${genuine.path}`, {
      method: 'POST',
      headers: genuine.headers,
      body: genuine.body,
    });
    expect(response.status).toBe(200);
    expect(unhandled).toEqual([]);
  });
});

/**
 * Validly signed hostile requests against what production runs: the whole service with the threaded
 * SQLite store and the processor on. Signed bodies reach the parser, the quarantine, the store and the
 * processor, which unsigned fuzzing never does.
 */
describe('validly signed hostile input against the whole service, processor on', () => {
  const ADMIN = 'fuzz-admin-token-0123456789abcdef0123';
  let service: RunningService;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-fuzz-'));
    service = await startTestService({
      store: await createThreadedSqliteStore({ path: join(dir, 'fuzz.db') }),
      adminToken: ADMIN,
      process: true,
      processor: { pollIntervalMs: 50, concurrency: 2 },
    });
  });
  afterAll(() => service.close());

  const valid = { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T-fuzz', result: OK };
  const scalar = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constantFrom(
      'toString',
      '__proto__',
      'constructor',
      'TOKEN_CREATED',
      'AUTHCODE_CREATED',
      'x'.repeat(5000),
    ),
  );
  const mutated = fc
    .record({
      drop: fc.subarray(Object.keys(valid)),
      set: fc.dictionary(
        fc.constantFrom(
          'authorizationNotifyType',
          'accessToken',
          'authCode',
          'authState',
          'result',
          'userLoginId',
          'reason',
          '__proto__',
          'extra',
        ),
        fc.oneof(scalar, fc.jsonValue({ maxDepth: 4 })),
        { maxKeys: 4 },
      ),
    })
    .map(({ drop, set }) => {
      const body: Record<string, unknown> = { ...valid, accessToken: `T-fuzz-${Math.random()}` };
      for (const key of drop) delete body[key];
      return JSON.stringify({ ...body, ...set });
    });
  const bodies = fc.oneof(
    // Valid ones too (some repeated: duplicates), so the processor has real work among the quarantined.
    fc.nat({ max: 60 }).map((n) => JSON.stringify({ ...valid, accessToken: `T-ok-${n}`, reason: 'fuzz' })),
    mutated,
    fc.jsonValue({ maxDepth: 6 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.string({ maxLength: 2000 }),
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b).toString('latin1')),
    fc
      .nat({ max: 3000 })
      .map(
        (n) =>
          `{"authorizationNotifyType":"TOKEN_CANCELED","accessToken":"T-deep-${n}","a":${'['.repeat(n)}${']'.repeat(n)}}`,
      ),
  );
  const extraHeaders = fc.dictionary(
    fc.constantFrom('X-Forwarded-For', 'Accept', 'X-Request-Id', 'Content-Encoding', 'Cookie', 'User-Agent'),
    fc
      .string({ minLength: 1, maxLength: 60 })
      .filter((v) => /^[\x20-\x7e]+$/.test(v.trim()) && v.trim() === v),
    { maxKeys: 3 },
  );
  const contentTypes = fc.constantFrom(
    'application/json; charset=UTF-8',
    'application/json',
    'APPLICATION/JSON;charset=utf-8',
    'text/plain',
    'application/json; charset=latin1',
  );

  it('never answers 5xx, stores every acknowledged body, and keeps processing and serving', async () => {
    const answers = new Map<number, number>();
    let acked = 0;
    await fc.assert(
      fc.asyncProperty(bodies, extraHeaders, contentTypes, async (body, headers, contentType) => {
        const s = await signAsFixtureAlipay(body);
        const response = await fetch(`${service.url}${s.path}`, {
          method: 'POST',
          headers: { ...headers, ...s.headers, 'Content-Type': contentType },
          body: s.body,
        });
        answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
        expect(response.status).toBeLessThan(500);
        const answer = (await response.json()) as { result?: { resultStatus?: string } };
        expect(['S', 'F']).toContain(answer.result?.resultStatus);
        if (response.status === 200) acked++;
      }),
      { numRuns: 200 },
    );
    expect(unhandled).toEqual([]);
    // Every stored row can be shown (no 500 on odd bodies), and the processor settles every row.
    const auth = { authorization: `Bearer ${ADMIN}` };
    await until(
      'the processor to settle every stored notification',
      async () => {
        const counts = await service.receiver.store.countInbox();
        return counts.PENDING === 0 && counts.PROCESSING === 0;
      },
      { timeoutMs: 30_000 },
    );
    const counts = await service.receiver.store.countInbox();
    const stored = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(stored).toBeGreaterThan(0);
    // Duplicates share a row, so there are at most as many rows as acknowledgements.
    expect(stored).toBeLessThanOrEqual(acked);
    let cursor: string | undefined;
    do {
      const page = (await (
        await fetch(`${service.url}/api/v1/notifications?limit=200${cursor ? `&cursor=${cursor}` : ''}`, {
          headers: auth,
        })
      ).json()) as { items: { id: string }[]; nextCursor: string | null };
      for (const item of page.items)
        expect(
          (await fetch(`${service.url}/api/v1/notifications/${item.id}`, { headers: auth })).status,
        ).toBe(200);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    const genuine = await signAsFixtureAlipay({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-after-fuzz',
      result: OK,
    });
    expect(
      (
        await fetch(`${service.url}${genuine.path}`, {
          method: 'POST',
          headers: genuine.headers,
          body: genuine.body,
        })
      ).status,
    ).toBe(200);
    console.log(
      `signed fuzzing: ${[...answers].map(([st, n]) => `${st}×${n}`).join(' ')}; ${stored} rows (${Object.entries(
        counts,
      )
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')})`,
    );
  }, 120_000);
});
