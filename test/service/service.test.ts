import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/protocol/clock.js';
import { resolveServeSettings } from '../../src/service/config.js';
import { parseDatabase } from '../../src/service/database.js';
import { createLogger } from '../../src/service/logger.js';
import type { RunningService } from '../../src/service/server.js';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../src/store/schema.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { cli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';
import { OK, START, signAsFixtureAlipay } from '../helpers/receiver.js';
import { runCliProcess, serveArgs } from '../helpers/serve-process.js';
import { startTestService } from '../helpers/service.js';

const ADMIN = 'admin-token-for-tests-0123456789';
const schema = freshSchema('authnotify_svc');

const stores: [string, () => Promise<Store>, string | undefined][] = [
  ['SQLite', () => createSqliteStore({ path: ':memory:' }), undefined],
  ['PostgreSQL', () => createPostgresStore({ connectionString: PG_URL, schema }), pgSkipReason],
];
afterAll(async () => {
  if (!pgSkipReason) await dropSchema(schema);
});

describe.each(stores)('authnotify service on %s', (_name, open, skip) => {
  let service: RunningService;
  let clock: ManualClock;
  beforeAll(async () => {
    if (skip) return;
    clock = new ManualClock(START);
    service = await startTestService({ store: await open(), adminToken: ADMIN, clock });
  });
  afterAll(async () => {
    await service?.close();
  });

  const api = (path: string, init: RequestInit = {}, token = ADMIN) =>
    fetch(`${service.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.headers ?? {}) },
    });

  async function notify(notification: Record<string, unknown>) {
    const s = await signAsFixtureAlipay(notification, { now: clock.now() });
    return fetch(`${service.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body });
  }

  it.skipIf(skip !== undefined)('serves health and readiness', async () => {
    expect(await (await fetch(`${service.url}/healthz`)).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(`${service.url}/readyz`)).json()).toMatchObject({
      status: 'ready',
      schemaVersion: LATEST_SCHEMA_VERSION,
    });
  });

  it.skipIf(skip !== undefined)(
    'receives, lists, shows (masked) and finds notifications and authorizations',
    async () => {
      const token = `TOK-${Math.random().toString(36).slice(2)}`;
      expect(
        (
          await notify({
            authorizationNotifyType: 'TOKEN_CREATED',
            accessToken: token,
            authState: 'st-svc',
            userLoginId: '+8613812345678',
            result: OK,
          })
        ).status,
      ).toBe(200);
      const list = (await (await api('/api/v1/notifications?type=TOKEN_CREATED&limit=5')).json()) as {
        items: { id: string; eventKey: string; status: string }[];
      };
      expect(list.items[0]).toMatchObject({ status: 'PENDING' });
      expect(JSON.stringify(list)).not.toContain(token);
      await service.receiver.drain();
      const detail = (await (await api(`/api/v1/notifications/${list.items[0]?.id}`)).json()) as Record<
        string,
        unknown
      >;
      expect(detail).toMatchObject({
        status: 'PROCESSED',
        outcome: 'UNKNOWN_AUTH_STATE',
        body: { accessToken: `****${token.slice(-4)}`, userLoginId: '+86****5678' },
      });
      expect(JSON.stringify(detail)).not.toContain(token);
      const none = (await (await api(`/api/v1/authorizations?accessToken=${token}`)).json()) as {
        items: unknown[];
      };
      expect(none.items).toEqual([]);
    },
  );

  it.skipIf(skip !== undefined)('reprocesses a FAILED notification through the API', async () => {
    let fail = true;
    const off = service.receiver.on('*', () => {
      if (fail) throw new Error('handler down');
    });
    await notify({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: `TOK-re-${Math.random()}`,
      result: OK,
    });
    for (let i = 0; i < 8; i++) {
      clock.advance(3_600_000);
      await service.receiver.drain();
    }
    const failed = (await (await api('/api/v1/notifications?status=FAILED')).json()) as {
      items: { id: string; errors: { message: string }[] }[];
    };
    expect(failed.items).toHaveLength(1);
    expect(failed.items[0]?.errors[0]?.message).toBe('handler down');
    fail = false;
    const response = await api(`/api/v1/notifications/${failed.items[0]?.id}/reprocess`, { method: 'POST' });
    expect(response.status).toBe(202);
    await service.receiver.drain();
    expect(
      ((await (await api(`/api/v1/notifications/${failed.items[0]?.id}`)).json()) as { status: string })
        .status,
    ).toBe('PROCESSED');
    off();
  });

  it.skipIf(skip !== undefined).each([
    ['no token', '/api/v1/notifications', 'none', 401, 'UNAUTHORIZED'],
    ['a wrong token', '/api/v1/notifications', 'wrong-token-wrong-token-wrong-tok', 401, 'UNAUTHORIZED'],
    ['an unknown status filter', '/api/v1/notifications?status=DONE', ADMIN, 400, 'PARAM_ILLEGAL'],
    ['a limit over 200', '/api/v1/notifications?limit=500', ADMIN, 400, 'PARAM_ILLEGAL'],
    ['a forged cursor', '/api/v1/notifications?cursor=abc', ADMIN, 400, 'PARAM_ILLEGAL'],
    ['an unknown notification', '/api/v1/notifications/nope', ADMIN, 404, 'NOT_FOUND'],
    ['an unknown authorization', '/api/v1/authorizations/nope', ADMIN, 404, 'NOT_FOUND'],
    ['an unknown route', '/api/v2/things', ADMIN, 404, 'NOT_FOUND'],
  ])('answers %s with a specific error', async (_label, path, token, status, code) => {
    const response = await fetch(
      `${service.url}${path}`,
      token === 'none' ? {} : { headers: { authorization: `Bearer ${token}` } },
    );
    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ error: { code } });
  });
});

describe('serve settings', () => {
  const key = `${FIXTURES}keys/alipay-v1.public.pem`;
  it('takes flags over environment over the config file, with defaults', () => {
    const s = resolveServeSettings(
      { clientId: 'FLAG' },
      {
        AUTHNOTIFY_CLIENT_ID: 'ENV',
        AUTHNOTIFY_ALIPAY_PUBLIC_KEY: `1=${key},2=${key}`,
        AUTHNOTIFY_PORT: '9000',
      },
    );
    expect(s).toMatchObject({
      clientId: 'FLAG',
      port: 9000,
      host: '127.0.0.1',
      database: './authnotify.db',
      notifyPath: '/alipay/notify/authorization',
    });
    expect(Object.keys(s.alipayPublicKeys)).toEqual(['1', '2']);
  });

  it.each([
    ['a missing client id', {}, {}, /--client-id: is required/],
    ['a missing Alipay key', { clientId: 'C' }, {}, /--alipay-public-key: is required/],
    [
      'a bad port',
      { clientId: 'C', alipayPublicKeys: [key], port: 'http' },
      {},
      /--port: "http" is not a port/,
    ],
    [
      'a relative notify path',
      { clientId: 'C', alipayPublicKeys: [key], notifyPath: 'notify' },
      {},
      /must start with \//,
    ],
    ['a missing key file', { clientId: 'C', alipayPublicKeys: ['./nope/key.pem'] }, {}, /does not exist/],
    [
      'an unknown log format',
      { clientId: 'C', alipayPublicKeys: [key], logFormat: 'xml' },
      {},
      /--log-format/,
    ],
  ])('names the setting for %s', (_label, flags, env, message) => {
    expect(() => resolveServeSettings(flags, env)).toThrow(message);
  });

  it.each([
    ['./a.db', { kind: 'sqlite', path: './a.db' }],
    ['sqlite:/var/lib/a.db', { kind: 'sqlite', path: '/var/lib/a.db' }],
    ['postgres://u@h/db?schema=s1', { kind: 'postgres', url: 'postgres://u@h/db', schema: 's1' }],
  ])('parses --database %s', (value, expected) => {
    expect(parseDatabase(value)).toEqual(expected);
  });

  it('rejects an unsupported database URL', () => {
    expect(() => parseDatabase('mysql://x')).toThrow(/unsupported database URL scheme/);
  });

  it('redacts secret-looking fields in logs', () => {
    const lines: string[] = [];
    const logger = createLogger({ write: (l) => void lines.push(l) });
    logger.info({ accessToken: 'T', signature: 'S', inboxId: 'x', authorizationId: 'a' }, 'hello');
    expect(JSON.parse(lines[0] as string)).toMatchObject({
      accessToken: '[redacted]',
      signature: '[redacted]',
      inboxId: 'x',
      authorizationId: 'a',
      msg: 'hello',
    });
  });
});

describe('authnotify serve and migrate (CLI)', () => {
  it('migrates a database and reports the version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-migrate-'));
    const first = await cli(['migrate', '--database', join(dir, 'm.db'), '--json']);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({
      applied: MIGRATIONS.map((m) => m.version),
      schemaVersion: LATEST_SCHEMA_VERSION,
    });
    const second = await cli(['migrate', '--database', join(dir, 'm.db')]);
    expect(second.stdout).toMatch(/nothing to apply/);
  });

  it('exits 2 naming the missing setting', async () => {
    const run = await cli(['serve', '--port', '0']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--client-id: is required/);
  });

  it('runs as a process, acknowledges a notification, and shuts down cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-serve-'));
    const run = runCliProcess(['serve', ...serveArgs(join(dir, 's.db'))]);
    const first = await run.firstLine;
    const { url, adminTokenFile } = JSON.parse(first) as { url: string; adminTokenFile: string };
    const s = await signAsFixtureAlipay({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: 'T-proc',
      result: OK,
    });
    const response = await fetch(`${url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body });
    expect(response.status).toBe(200);
    expect(readFileSync(adminTokenFile, 'utf8').trim().length).toBeGreaterThan(20);
    run.child.kill('SIGTERM');
    expect(await run.exited()).toBe(0);
    const store = await createSqliteStore({ path: join(dir, 's.db') });
    expect((await store.listInbox({ limit: 5 })).items).toHaveLength(1);
    await store.close();
  }, 30_000);
});

describe('admin API brute force', () => {
  it('refuses a source after 20 failed authentications in a minute, and lets the right token through before that', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    const service = await startTestService({ store, adminToken: ADMIN });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 22; i++) {
        statuses.push(
          (
            await fetch(`${service.url}/api/v1/notifications`, {
              headers: { authorization: `Bearer guess-${i}` },
            })
          ).status,
        );
      }
      expect(statuses.slice(0, 20).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(20)).toEqual([429, 429]);
      const limited = await fetch(`${service.url}/api/v1/notifications`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      // The notify endpoint and health checks are not affected.
      expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    } finally {
      await service.close();
    }
  });
});
