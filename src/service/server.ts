/**
 * The standalone merchant service: the notify endpoint (straight to the receiver, no router on the hot
 * path), health endpoints and the admin API (Hono). Graceful shutdown: stop accepting, finish in-flight
 * requests and the current processor batch, flush and close the store.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { requestTarget, toNodeHandler } from '../adapters/node-http.js';
import type { AlipayClient } from '../client/client.js';
import { createFlow, type Flow } from '../flow/flow.js';
import { listen } from '../http/listen.js';
import { createMetrics, type Metrics } from '../http/metrics.js';
import { cappedBodies } from '../http/node-body.js';
import { createLimitedServer, type ServerLimits } from '../http/server-limits.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import type { KeyInput } from '../protocol/key-ring.js';
import type { Logger } from '../protocol/logger.js';
import { nodeSignatureCrypto } from '../protocol/node-crypto.js';
import type { TimeWindow } from '../protocol/request-time.js';
import { createNodeSecrets } from '../receiver/node-secrets.js';
import type { ReceiverObserver } from '../receiver/ports.js';
import type { ProcessorOptions } from '../receiver/processor.js';
import { createReceiver, type Receiver } from '../receiver/receiver.js';
import type { Store } from '../store/types.js';
import { createApi } from './api.js';
import { RecentRejections } from './dashboard.js';
import { type ForwardingOptions, type RunningForwarding, startForwarding } from './forwarding.js';
import { ADMIN_TOKEN } from './secret-file.js';
import type { SignInLinks } from './sign-in-links.js';
import { StoreHealth } from './store-health.js';

export const DEFAULT_RETURN_PATH = '/alipay/authorize/return';

/** Cap on bodies of every endpoint but the notify endpoint (dashboard forms, admin API): 16 KiB. */
export const DEFAULT_API_BODY_BYTES = 16 * 1024;

export interface ServiceOptions {
  /** One-time dashboard sign-in links (`authnotify dev` prints one). */
  signInLinks?: SignInLinks;
  host: string;
  port: number;
  store: Store;
  clientId: string;
  alipayPublicKeys: Readonly<Record<string, KeyInput>>;
  secretKey: string;
  adminToken: string;
  notifyPath: string;
  logger: Logger;
  merchantPrivateKey?: string | undefined;
  merchantKeyVersion?: string | undefined;
  acceptUnknownAuthState?: boolean | undefined;
  maxBodyBytes?: number | undefined;
  /** Cap on the bodies of the admin API, the dashboard and the redirect landing. Default 16 KiB. */
  maxApiBodyBytes?: number | undefined;
  /** Timeouts and connection caps (see ServerLimits). */
  limits?: ServerLimits | undefined;
  /** Reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (limiter, Secure cookies). */
  trustedProxies?: readonly string[] | undefined;
  timeWindow?: TimeWindow | false | undefined;
  clock?: Clock | undefined;
  observer?: ReceiverObserver | undefined;
  /** Run the inbox processor in this process. Default true. */
  process?: boolean | undefined;
  processor?: ProcessorOptions | undefined;
  /** Forwarding to the merchant's endpoints, and the event log's retention. */
  forwarding?: ForwardingOptions | undefined;
  /** How often an event stream reads the store while nothing is new. Default 500 ms. */
  streamPollMs?: number | undefined;
  /** Prometheus metrics on /metrics. Default: a fresh registry. */
  metrics?: Metrics | undefined;
  /** The authorization flow (consult, redirect landing, token exchange, refresh, revoke). Needs an Alipay client. */
  flow?:
    | {
        client: AlipayClient;
        /** How browsers and the wallet reach this service. Default: the listening URL. */
        publicUrl?: string | undefined;
        returnPath?: string | undefined;
        customerBelongsTo?: string | undefined;
        refreshIntervalMs?: number | undefined;
        refreshMarginMs?: number | undefined;
      }
    | undefined;
}

export interface RunningService {
  url: string;
  receiver: Receiver;
  flow: Flow | undefined;
  /** Destinations and the forwarder (and the secrets generated for `--forward-to` now, shown once). */
  forwarding: RunningForwarding;
  server: Server;
  /** Stops accepting, waits for in-flight work, closes the store. Idempotent. */
  close(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<RunningService> {
  const { logger, store } = options;
  // Fail before any work; createApi checks again and uses the checked (trimmed) token.
  ADMIN_TOKEN.check(options.adminToken, 'adminToken');
  const metrics = options.metrics ?? createMetrics();
  const rejections = new RecentRejections();
  const storeHealth = new StoreHealth();
  const secrets = createNodeSecrets(options.secretKey);
  const clock = options.clock ?? systemClock;
  // The flow needs the listening URL, known only after listen; it reads it through this holder.
  const where = { url: '' };
  const flowOptions = options.flow;
  const flow = flowOptions
    ? createFlow({
        store,
        secrets,
        client: flowOptions.client,
        clock,
        logger,
        get publicUrl() {
          return (flowOptions.publicUrl ?? where.url).replace(/\/$/, '');
        },
        returnPath: flowOptions.returnPath ?? DEFAULT_RETURN_PATH,
        notifyPath: options.notifyPath,
        customerBelongsTo: flowOptions.customerBelongsTo ?? 'ALIPAY_CN',
        ...(flowOptions.refreshMarginMs ? { refreshMarginMs: flowOptions.refreshMarginMs } : {}),
      })
    : undefined;
  const receiver = await createReceiver({
    clientId: options.clientId,
    alipayPublicKeys: options.alipayPublicKeys,
    store,
    secretKey: options.secretKey,
    notifyPath: options.notifyPath,
    crypto: nodeSignatureCrypto,
    secretsFactory: () => secrets,
    ...(flow ? { applyToken: flow.applyTokenPort } : {}),
    logger,
    ...(options.merchantPrivateKey ? { merchantPrivateKey: options.merchantPrivateKey } : {}),
    ...(options.merchantKeyVersion ? { merchantKeyVersion: options.merchantKeyVersion } : {}),
    ...(options.acceptUnknownAuthState ? { acceptUnknownAuthState: true } : {}),
    ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    ...(options.timeWindow !== undefined ? { timeWindow: options.timeWindow } : {}),
    clock,
    observer: [rejections.observer, storeHealth.observer, options.observer].reduce(
      combineObservers,
      metrics.observer,
    ),
    ...(options.processor ? { processor: options.processor } : {}),
  });
  if (flow) {
    // Notifications change authorizations too: tell the hooks.
    receiver.on('*', async (event) => {
      if (event.authorization && event.outcome !== 'NO_CHANGE') await flow.emit(event.authorization);
    });
  }
  const forwarding = await startForwarding({ store, secrets, clock, logger, metrics }, options.forwarding);
  const streamsEnd = new AbortController();
  const notify = toNodeHandler(receiver);
  const api = getRequestListener(
    createApi({
      receiver,
      adminToken: options.adminToken,
      flow,
      returnPath: flowOptions?.returnPath ?? DEFAULT_RETURN_PATH,
      metrics,
      rejections,
      storeHealth,
      logger,
      ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
      ...(options.signInLinks ? { signInLinks: options.signInLinks } : {}),
      events: {
        destinations: forwarding.destinations,
        clock,
        nudge: () => forwarding.forwarder.nudge(),
        pollMs: options.streamPollMs ?? 500,
        closing: streamsEnd.signal,
      },
    }).fetch,
  );
  let inFlight = 0;
  let idle: (() => void) | undefined;
  // Every other endpoint takes small bodies: forms and JSON of a few fields.
  const cappedApi = cappedBodies(api, () => options.maxApiBodyBytes ?? DEFAULT_API_BODY_BYTES);
  const server = createLimitedServer((req: IncomingMessage, res: ServerResponse) => {
    inFlight++;
    res.on('close', () => {
      inFlight--;
      if (inFlight === 0) idle?.();
    });
    const path = requestTarget(req).split('?')[0];
    if (path === options.notifyPath) notify(req, res);
    else cappedApi(req, res);
  }, options.limits);
  await listen(server, options.port, options.host);
  if (options.process !== false) receiver.start();
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  where.url = url;
  const refreshTimer = flow
    ? setInterval(
        () =>
          void flow
            .refreshDue()
            .catch((error: unknown) =>
              logger.warn(
                { err: (error as Error).message },
                'token refresh sweep failed; will retry next interval',
              ),
            ),
        flowOptions?.refreshIntervalMs ?? 60_000,
      )
    : undefined;
  refreshTimer?.unref();
  logger.info({ url, notifyPath: options.notifyPath, store: store.kind }, 'authnotify service listening');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      logger.info({ inFlight }, 'shutting down: no new requests, finishing in-flight ones');
      streamsEnd.abort(); // event streams end now; they would otherwise hold the shutdown
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      if (inFlight > 0) {
        await Promise.race([
          new Promise<void>((resolve) => (idle = resolve)),
          new Promise((r) => setTimeout(r, 10_000).unref()),
        ]);
      }
      server.closeAllConnections();
      await stopped;
      if (refreshTimer) clearInterval(refreshTimer);
      await flowOptions?.client.close();
      await receiver.stop();
      await forwarding.stop();
      await store.close();
      logger.info({}, 'shutdown complete');
    })();
    return closing;
  };
  return { url, receiver, flow, forwarding, server, close };
}

/** Both observers see every event. */
function combineObservers(a: ReceiverObserver, b: ReceiverObserver | undefined): ReceiverObserver {
  if (!b) return a;
  return {
    received: (...args) => {
      a.received?.(...args);
      b.received?.(...args);
    },
    processed: (...args) => {
      a.processed?.(...args);
      b.processed?.(...args);
    },
  };
}
