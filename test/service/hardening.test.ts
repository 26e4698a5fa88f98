/**
 * The service and the sandbox under hostile or careless clients (issue 11, sections 4 and 5): bodies
 * capped before buffering on every endpoint, slow clients cut off, one source cannot hold every
 * connection, pages elsewhere cannot drive the sandbox, forwarded addresses believed only from trusted
 * proxies, secrets masked wherever they appear in a stored body, /readyz honest about writes.
 */
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthNotifyError } from '../../src/protocol/errors.js';
import type { Logger } from '../../src/protocol/logger.js';
import type { RunningSandbox } from '../../src/sandbox/server.js';
import type { RunningService, ServiceOptions } from '../../src/service/server.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { OK, signAsFixtureAlipay } from '../helpers/receiver.js';
import { startTestSandbox } from '../helpers/sandbox.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'hardening-admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${ADMIN}` };

interface LogLine {
  level: string;
  fields: Record<string, unknown>;
  message: string;
}
function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as Logger;
}

async function service(options: Partial<ServiceOptions> = {}): Promise<RunningService> {
  return startTestService({
    store: await createSqliteStore({ path: ':memory:' }),
    adminToken: ADMIN,
    ...options,
  });
}

/** Sends a request whose body never ends (chunked, 64 KiB chunks up to `limit`); what came back and how much went out. */
function floodBody(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  limit = 300e6,
): Promise<{ status: number; connectionClose: boolean; sent: number }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let sent = 0;
    let answer = '';
    socket.on('data', (d) => {
      answer += d.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () =>
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0),
        connectionClose: /\r\nconnection: close\r\n/i.test(answer),
        sent,
      }),
    );
    const head = Object.entries({ Host: hostname, 'Transfer-Encoding': 'chunked', ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`${method} ${path} HTTP/1.1\r\n${head}\r\n`);
    const chunk = Buffer.concat([Buffer.from('10000\r\n'), Buffer.alloc(65536, 97), Buffer.from('\r\n')]);
    const pump = () => {
      while (sent < limit && !socket.destroyed) {
        sent += 65536;
        if (!socket.write(chunk)) {
          socket.once('drain', pump);
          return;
        }
      }
      if (sent >= limit) socket.end('0\r\n\r\n');
    };
    pump();
  });
}

describe('every endpoint caps its body before buffering it', () => {
  let svc: RunningService;
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    svc = await service();
    sandbox = await startTestSandbox();
  });
  afterAll(async () => {
    await svc.close();
    await sandbox.close();
  });

  const json = { 'Content-Type': 'application/json' };
  const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
  it.each<[string, 'service' | 'sandbox', string, string, Record<string, string>]>([
    ['dashboard sign-in', 'service', 'POST', '/dashboard/login', form],
    ['dashboard sign-out', 'service', 'POST', '/dashboard/logout', form],
    ['admin API: start an authorization', 'service', 'POST', '/api/v1/authorizations', { ...json, ...auth }],
    ['admin API: reprocess', 'service', 'POST', '/api/v1/notifications/x/reprocess', { ...json, ...auth }],
    ['the notify endpoint', 'service', 'POST', '/alipay/notify/authorization', json],
    ['sandbox control API: send', 'sandbox', 'POST', '/sandbox/v1/notifications', json],
    ['sandbox control API: faults', 'sandbox', 'PUT', '/sandbox/v1/faults', json],
    ['sandbox wallet: authorize', 'sandbox', 'POST', '/wallet/authorize/x', form],
    ['sandbox wallet: cancel', 'sandbox', 'POST', '/wallet/account/cancel', form],
    ['sandbox deliveries page: faults', 'sandbox', 'POST', '/sandbox/faults', form],
  ])(
    '%s: 413, connection closed, the rest of a 300 MB body never read',
    async (_label, where, method, path, headers) => {
      const base = where === 'service' ? svc.url : sandbox.url;
      const result = await floodBody(base, method, path, headers);
      expect(result.status).toBe(413);
      expect(result.connectionClose).toBe(true);
      // What went out is the cap plus the kernel's socket buffers, not the 300 MB the client had.
      expect(result.sent).toBeLessThan(64e6);
    },
  );

  it('refuses a declared Content-Length over the cap before reading anything', async () => {
    const response = await fetch(`${svc.url}/dashboard/login`, {
      method: 'POST',
      headers: form,
      body: `token=${'a'.repeat(20_000)}`,
    });
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ error: { code: 'BODY_TOO_LARGE' } });
  });
});

describe('slow clients', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await service({
      limits: { headersTimeoutMs: 300, requestTimeoutMs: 600, maxConnectionsPerSource: 4 },
    });
  });
  afterAll(() => svc.close());

  const open = (localAddress = '127.0.0.1') =>
    new Promise<Socket>((resolve) => {
      const { port } = new URL(svc.url);
      const s = connect({ port: Number(port), host: '127.0.0.1', localAddress }, () => resolve(s));
      s.on('error', () => undefined);
    });
  const closed = (s: Socket) =>
    new Promise<string>((resolve) => {
      let answer = '';
      s.on('data', (d) => {
        answer += d.toString();
      });
      s.on('close', () => resolve(answer));
    });

  it.each([
    ['headers dripped a byte at a time', 'POST /alipay/notify/authorization HTTP/1.1\r\nHost: x\r\nX-Slow: '],
    [
      'a body dripped a byte at a time',
      'POST /dashboard/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 10000\r\n\r\ntoken=',
    ],
  ])('closes the connection of %s after the configured timeout', async (_label, start) => {
    const s = await open();
    const done = closed(s);
    s.write(start);
    const drip = setInterval(() => s.writable && s.write('a'), 50);
    const answer = await Promise.race([
      done,
      new Promise<string>((_, reject) =>
        setTimeout(() => reject(new Error('still open after 10 s')), 10_000),
      ),
    ]);
    clearInterval(drip);
    expect(answer === '' || /^HTTP\/1\.1 408/.test(answer)).toBe(true);
  });

  it('one source cannot hold every connection: its extra ones close, notifications from others still get through', async () => {
    const held = await Promise.all(Array.from({ length: 4 }, () => open('127.0.0.2')));
    const extra = await open('127.0.0.2');
    expect(
      await Promise.race([
        closed(extra).then(() => 'closed'),
        new Promise((r) => setTimeout(() => r('open'), 2000)),
      ]),
    ).toBe('closed');
    const s = await signAsFixtureAlipay({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-slow',
      result: OK,
    });
    const response = await fetch(`${svc.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body });
    expect(response.status).toBe(200);
    for (const h of held) h.destroy();
  });
});

describe('odd but genuine requests', () => {
  let svc: RunningService;
  beforeAll(async () => {
    svc = await service();
  });
  afterAll(() => svc.close());

  const rawPost = (target: string, headers: Record<string, string>, body: string) =>
    new Promise<string>((resolve) => {
      const { port } = new URL(svc.url);
      const s = connect(Number(port), '127.0.0.1');
      let answer = '';
      s.on('data', (d) => {
        answer += d.toString();
        if (answer.includes('\r\n\r\n')) s.end();
      });
      s.on('close', () => resolve(answer));
      const head = Object.entries({
        Host: 'merchant.test',
        ...headers,
        'Content-Length': String(Buffer.byteLength(body)),
      })
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      s.write(`POST ${target} HTTP/1.1\r\n${head}\r\n${body}`);
    });

  it('accepts an absolute-form request target on the notify path', async () => {
    const s = await signAsFixtureAlipay({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-abs',
      result: OK,
    });
    const answer = await rawPost(`http://merchant.test${s.path}`, s.headers, s.body);
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  });

  const detail = async (token: string) => {
    const list = (await (
      await fetch(`${svc.url}/api/v1/notifications?limit=50`, { headers: auth })
    ).json()) as {
      items: { id: string; eventKey: string }[];
    };
    const all = await Promise.all(
      list.items.map(async (i) =>
        (await fetch(`${svc.url}/api/v1/notifications/${i.id}`, { headers: auth })).text(),
      ),
    );
    return all.find((t) => t.includes(token.slice(-4))) ?? all;
  };

  it('shows a genuine body nested 12,000 levels deep as text, with its token masked, instead of answering 500', async () => {
    const nested = `${'['.repeat(12_000)}1${']'.repeat(12_000)}`;
    const s = await signAsFixtureAlipay(
      `{"authorizationNotifyType":"TOKEN_CANCELED","accessToken":"28100103_deep_secret_9871","result":${JSON.stringify(OK)},"passThroughInfo":${nested}}`,
    );
    expect(
      (await fetch(`${svc.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body })).status,
    ).toBe(200);
    const list = (await (
      await fetch(`${svc.url}/api/v1/notifications?limit=50`, { headers: auth })
    ).json()) as {
      items: { id: string }[];
    };
    const answers = await Promise.all(
      list.items.map((i) => fetch(`${svc.url}/api/v1/notifications/${i.id}`, { headers: auth })),
    );
    expect(answers.map((a) => a.status).every((st) => st === 200)).toBe(true);
    const texts = await Promise.all(answers.map((a) => a.text()));
    const deep = texts.find((t) => t.includes('nested deeper than 64 levels'));
    expect(deep).toBeDefined();
    expect(deep).toContain('****9871');
    expect(deep).not.toContain('28100103_deep_secret');
  });

  it.each([
    [
      'a quarantined body that is not JSON',
      'accessToken=28100103_form_secret_4321&userLoginId=carol@example.com&authorizationNotifyType=TOKEN_CANCELED',
      ['28100103_form_secret', 'carol@example.com'],
    ],
    [
      'tokens nested inside other fields',
      `{"authorizationNotifyType":"TOKEN_REFRESHED","extra":{"inner":{"accessToken":"28100103_nested_secret_5555","refreshToken":"rt_nested_secret_6666"}},"note":"from dave@example.com","result":${JSON.stringify(OK)}}`,
      ['28100103_nested_secret', 'rt_nested_secret', 'dave@example.com'],
    ],
  ])('masks %s by pattern', async (_label, body, secrets) => {
    const s = await signAsFixtureAlipay(body);
    expect(
      (await fetch(`${svc.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body })).status,
    ).toBe(200);
    const shown = await detail(secrets[0] as string);
    const text = Array.isArray(shown) ? shown.join('\n') : shown;
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).toMatch(/\*\*\*\*/);
  });
});

describe('the sandbox cannot be driven by other web pages', () => {
  let sandbox: RunningSandbox;
  beforeAll(async () => {
    sandbox = await startTestSandbox();
  });
  afterAll(() => sandbox.close());
  const send = JSON.stringify({ type: 'TOKEN_CANCELED', to: 'http://127.0.0.1:9/forged' });

  it.each<[string, Record<string, string>, number, string]>([
    [
      'a no-cors text/plain POST (what any page can send)',
      { 'Content-Type': 'text/plain' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'a form-encoded POST',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    [
      'JSON from another origin',
      { 'Content-Type': 'application/json', Origin: 'https://evil.example' },
      403,
      'FORBIDDEN_ORIGIN',
    ],
    [
      'JSON from an opaque origin',
      { 'Content-Type': 'application/json', Origin: 'null' },
      403,
      'FORBIDDEN_ORIGIN',
    ],
    [
      'JSON through a rebound DNS name',
      { 'Content-Type': 'application/json', Host: 'evil.example' },
      403,
      'FORBIDDEN_HOST',
    ],
  ])('refuses %s and signs nothing', async (_label, headers, status, code) => {
    const before = (await sandbox.sender.list({ limit: 200 })).length;
    // node:http, not fetch: fetch will not send a Host of the caller's choosing, a rebinding attacker's page can.
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${sandbox.url}/sandbox/v1/notifications`, { method: 'POST', headers }, (res) => {
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(send);
    });
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code } });
    expect((await sandbox.sender.list({ limit: 200 })).length).toBe(before);
  });

  it('accepts the same request from its own origin', async () => {
    const { host } = new URL(sandbox.url);
    const response = await fetch(`${sandbox.url}/sandbox/v1/notifications`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: `http://${host}` },
      body: send,
    });
    expect(response.status).toBe(202);
  });

  it.each([
    ['/wallet/account/cancel', 'accessToken=x&user=u'],
    ['/wallet/authorize/x', 'decision=agree'],
    ['/sandbox/faults', 'dropAcks=3'],
  ])('refuses a %s form without the page token', async (path, body) => {
    const response = await fetch(`${sandbox.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body,
      redirect: 'manual',
    });
    expect([403, 404]).toContain(response.status);
    if (response.status === 404) expect(path).toBe('/wallet/authorize/x'); // unknown consult, checked first
    expect(sandbox.context.faults.settings.dropAcks).toBe(0);
  });
});

describe('admin authentication behind a reverse proxy', () => {
  const failAs = (svc: RunningService, forwardedFor: string) =>
    fetch(`${svc.url}/api/v1/notifications`, {
      headers: { authorization: 'Bearer wrong-token', 'x-forwarded-for': forwardedFor },
    });

  it('ignores X-Forwarded-For from an untrusted socket: a client cannot pick the address it is counted as', async () => {
    const svc = await service();
    try {
      for (let i = 0; i < 20; i++) expect((await failAs(svc, `198.51.100.${i}`)).status).toBe(401);
      expect((await failAs(svc, '198.51.100.200')).status).toBe(429);
    } finally {
      await svc.close();
    }
  });

  it('with a trusted proxy, counts failures per forwarded client, so one client cannot lock every operator out', async () => {
    const svc = await service({ trustedProxies: ['127.0.0.1'] });
    try {
      for (let i = 0; i < 20; i++) await failAs(svc, '203.0.113.7');
      expect((await failAs(svc, '203.0.113.7')).status).toBe(429);
      expect((await failAs(svc, '203.0.113.8')).status).toBe(401);
      const ok = await fetch(`${svc.url}/api/v1/notifications`, {
        headers: { ...auth, 'x-forwarded-for': '203.0.113.9' },
      });
      expect(ok.status).toBe(200);
    } finally {
      await svc.close();
    }
  });

  it.each([
    ['over HTTPS through a trusted proxy', ['127.0.0.1'], true],
    ['when the same header comes from an untrusted client', [], false],
  ])('dashboard session cookie is Secure only %s', async (_label, trustedProxies, secure) => {
    const svc = await service({ trustedProxies });
    try {
      const response = await fetch(`${svc.url}/dashboard/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-proto': 'https' },
        body: `token=${ADMIN}`,
        redirect: 'manual',
      });
      expect(response.status).toBe(303);
      const cookie = response.headers.get('set-cookie') ?? '';
      expect(cookie).toMatch(/HttpOnly/);
      expect(/;\s*Secure/i.test(cookie)).toBe(secure);
    } finally {
      await svc.close();
    }
  });

  it('logs failed authentications with the source, never the token; pages forbid framing and scripts', async () => {
    const lines: LogLine[] = [];
    const svc = await service({ logger: recordingLogger(lines) });
    try {
      await fetch(`${svc.url}/api/v1/notifications`, {
        headers: { authorization: 'Bearer guess-0123456789-guess' },
      });
      await fetch(`${svc.url}/dashboard/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=another-guess-9876543210',
      });
      const failed = lines.filter((l) => /authentication failed|sign-in failed/.test(l.message));
      expect(failed).toHaveLength(2);
      for (const line of failed) expect(line.fields.source).toBe('127.0.0.1');
      const logged = JSON.stringify(lines);
      expect(logged).not.toContain('guess-0123456789');
      expect(logged).not.toContain('another-guess');
      const page = await fetch(`${svc.url}/dashboard/login`);
      expect(page.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
      expect(page.headers.get('content-security-policy')).toMatch(/default-src 'none'/);
      expect(page.headers.get('x-frame-options')).toBe('DENY');
    } finally {
      await svc.close();
    }
  });
});

describe('/readyz tells whether the store can write', () => {
  it('answers 503 after a notification could not be stored, and 200 again once one is', async () => {
    const base = await createSqliteStore({ path: ':memory:' });
    let failing = true;
    const store = new Proxy(base, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (prop === 'insertInbox')
          return async (...args: Parameters<Store['insertInbox']>) => {
            if (failing) throw new AuthNotifyError('STORE_UNAVAILABLE', 'disk full');
            return target.insertInbox(...args);
          };
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const svc = await startTestService({ store, adminToken: ADMIN });
    try {
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
      const notify = async (token: string) => {
        const s = await signAsFixtureAlipay({
          authorizationNotifyType: 'TOKEN_CANCELED',
          accessToken: token,
          result: OK,
        });
        return (await fetch(`${svc.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body }))
          .status;
      };
      expect(await notify('T-full-1')).toBe(503);
      const ready = await fetch(`${svc.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ reason: expect.stringMatching(/could not be stored/) });
      failing = false;
      expect(await notify('T-full-2')).toBe(200);
      expect((await fetch(`${svc.url}/readyz`)).status).toBe(200);
    } finally {
      await svc.close();
    }
  });
});
