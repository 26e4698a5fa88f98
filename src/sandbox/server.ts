/**
 * `authnotify sandbox`: a local Alipay. Auth APIs, wallet pages, a sender that delivers notifications to
 * the merchant on the documented schedule (compressible with a time scale), fault injection, and a control
 * API — all on one port.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { escapeHtml, page } from '../http/html.js';
import { listen } from '../http/listen.js';
import { createMetrics } from '../http/metrics.js';
import { cappedBodies } from '../http/node-body.js';
import { buildOpenApi } from '../http/openapi-doc.js';
import { securityHeaders } from '../http/security-headers.js';
import { createLimitedServer } from '../http/server-limits.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import { createKeyRing, type KeyInput } from '../protocol/key-ring.js';
import { type Logger, silentLogger } from '../protocol/logger.js';
import { nodeSignatureCrypto } from '../protocol/node-crypto.js';
import { createSender, type Sender } from '../sender/sender.js';
import { loadSqliteDriver } from '../store/drivers.js';
import { createSqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/types.js';
import { mountAuthApi } from './auth-api.js';
import type { SandboxConfig, SandboxContext } from './context.js';
import { randomToken } from './context.js';
import { mountControl } from './control.js';
import { Faults } from './faults.js';
import { mountGuard } from './guard.js';
import { loadOrCreateSandboxKeys } from './keys.js';
import { sandboxOperations } from './openapi.js';
import { SandboxState } from './state.js';
import { mountWallet } from './wallet.js';

export interface SandboxOptions {
  host?: string;
  port?: number;
  /** SQLite file for the sandbox's state and outbox. Default `./.authnotify/sandbox.db`. */
  database?: string;
  /** Where the sandbox's key pair lives (generated on first run). Default `./.authnotify/sandbox-keys`. */
  keysDir?: string;
  clientId: string;
  /** The merchant's public key(s), to verify its API requests. */
  merchantPublicKeys: Readonly<Record<string, KeyInput>>;
  notifyUrl?: string | undefined;
  timeScale?: number;
  accessTokenTtlMs?: number;
  refreshTokenTtlMs?: number;
  revokeNotifies?: boolean;
  clock?: Clock;
  logger?: Logger;
  /** Run the sender in the background. Default true; tests drive `sender.runOnce()` themselves. */
  deliver?: boolean;
}

export interface RunningSandbox {
  url: string;
  /** One-line base64 SPKI of the sandbox's signing key: the merchant's "Alipay public key". */
  alipayPublicKey: string;
  sender: Sender;
  store: Store;
  context: SandboxContext;
  /** Every route the sandbox serves (for the OpenAPI coverage test). */
  routes: readonly { method: string; path: string }[];
  close(): Promise<void>;
}

export async function startSandbox(options: SandboxOptions): Promise<RunningSandbox> {
  const database = options.database ?? './.authnotify/sandbox.db';
  // Keys are checked before anything is created, so a bad one leaves nothing behind.
  const merchantKeys = await createKeyRing(options.merchantPublicKeys);
  if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
  const keys = await loadOrCreateSandboxKeys(options.keysDir ?? './.authnotify/sandbox-keys');
  const logger = options.logger ?? silentLogger;
  const clock = options.clock ?? systemClock;
  const store = await createSqliteStore({ path: database });
  const state = new SandboxState(database, await loadSqliteDriver('the sandbox'));
  const faults = new Faults();
  const metrics = createMetrics();
  const sender = await createSender({
    store,
    clientId: options.clientId,
    privateKey: keys.privateKey,
    keyVersion: '1',
    timeScale: options.timeScale ?? 1,
    crypto: nodeSignatureCrypto,
    faults,
    clock,
    logger,
    pollIntervalMs: 100,
    onAttempt: (attempt) => metrics.onDeliveryAttempt(attempt.verdict, attempt.startedAt - attempt.dueAt),
  });
  const config: SandboxConfig = {
    clientId: options.clientId,
    notifyUrl: options.notifyUrl,
    accessTokenTtlMs: options.accessTokenTtlMs ?? 30 * 24 * 3_600_000,
    refreshTokenTtlMs: options.refreshTokenTtlMs ?? 365 * 24 * 3_600_000,
    revokeNotifies: options.revokeNotifies ?? false,
  };
  let baseUrl = '';
  const ctx: SandboxContext = {
    config,
    state,
    faults,
    clock,
    sender,
    logger,
    merchantKeys,
    privateKey: keys.privateKey,
    baseUrl: () => baseUrl,
    formToken: randomToken('csrf_'),
  };
  const app = new Hono();
  app.use('*', securityHeaders({ formsStayHere: false }));
  mountGuard(app, { boundHost: options.host ?? '127.0.0.1' });
  mountAuthApi(app, ctx);
  mountWallet(app, ctx);
  mountControl(app, ctx);
  app.get('/sandbox/v1/info', (c) =>
    c.json({
      clientId: config.clientId,
      alipayPublicKey: keys.publicKey,
      notifyUrl: config.notifyUrl ?? null,
      timeScale: options.timeScale ?? 1,
      apiBase: `${baseUrl}/ams/api/v1/authorizations`,
    }),
  );
  app.get('/', (c) =>
    c.html(
      page(
        'Alipay sandbox',
        `<h1>Alipay sandbox</h1><ul><li>API: <code>${escapeHtml(baseUrl)}/ams/api/v1/authorizations/{consult,applyToken,revoke,query}</code></li>
<li><a href="/wallet/account">Wallet account</a></li><li><a href="/sandbox/deliveries">Deliveries</a></li></ul>
<p class="muted">Alipay public key for your merchant configuration:</p><pre style="white-space:pre-wrap;word-break:break-all">${escapeHtml(keys.publicKey)}</pre>`,
      ),
    ),
  );
  app.get('/openapi.json', (c) =>
    c.json(
      buildOpenApi(
        'authnotify sandbox',
        'A local Alipay: authorization APIs and a control API.',
        sandboxOperations(),
      ),
    ),
  );
  app.get('/metrics', async (c) => {
    await metrics.collect(store).catch(() => undefined);
    return c.text(await metrics.render(), 200, { 'Content-Type': metrics.registry.contentType });
  });
  app.notFound((c) =>
    c.json({ error: { code: 'NOT_FOUND', message: `no route for ${c.req.method} ${c.req.path}` } }, 404),
  );

  // The control API takes a raw notification body (up to 64 KiB, escaped in JSON); forms are small.
  const server = createLimitedServer(
    cappedBodies(getRequestListener(app.fetch), (req) =>
      (req.url ?? '').startsWith('/sandbox/v1/') ? 512 * 1024 : 16 * 1024,
    ),
  );
  const closeState = async () => {
    await sender.stop();
    await sender.close();
    state.close();
    await store.close();
  };
  try {
    await listen(server, options.port ?? 8788, options.host ?? '127.0.0.1');
  } catch (error) {
    await closeState();
    throw error;
  }
  const address = server.address() as AddressInfo;
  baseUrl = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  if (options.deliver !== false) sender.start();
  logger.info({ url: baseUrl, generatedKeys: keys.generated }, 'Alipay sandbox listening');
  let closing: Promise<void> | undefined;
  return {
    url: baseUrl,
    alipayPublicKey: keys.publicKey,
    sender,
    store,
    context: ctx,
    routes: app.routes.map((r) => ({ method: r.method, path: r.path })),
    close: () => {
      closing ??= (async () => {
        await new Promise<void>((r) => {
          server.close(() => r());
          server.closeAllConnections();
        });
        await closeState();
      })();
      return closing;
    },
  };
}
