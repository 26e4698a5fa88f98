/**
 * `authnotify dev`: the sandbox, the service and a demo merchant page wired together on the embedded SQLite
 * default, every key generated on first run, all through real signed HTTP on 127.0.0.1.
 */
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createAlipayClient } from '../../client/client.js';
import { listen } from '../../http/listen.js';
import type { Logger } from '../../protocol/logger.js';
import { nodeSignatureCrypto } from '../../protocol/node-crypto.js';
import { loadOrCreateKeyPair } from '../../sandbox/keys.js';
import { startSandbox } from '../../sandbox/server.js';
import type { ForwardTarget } from '../../service/destinations.js';
import {
  ADMIN_TOKEN,
  materializeSecret,
  planSecret,
  SECRET_KEY,
  secretKeyFor,
} from '../../service/secret-file.js';
import { startService } from '../../service/server.js';
import { SignInLinks } from '../../service/sign-in-links.js';
import { createSqliteStore } from '../../store/sqlite/index.js';
import { createDemoServer } from './demo-page.js';

export interface DevOptions {
  /** The service's port; the sandbox gets the next one, the demo page the one after. 0 picks free ports. */
  port: number;
  host?: string;
  /** Where keys, secrets and databases live. Default `./.authnotify/dev`. */
  dir?: string;
  /** Retry schedule compression for the sandbox's deliveries. Default 60 (2 minutes become 2 seconds). */
  timeScale?: number;
  /** Forward events to these endpoints (`--forward-to`); every attempt is logged. */
  forwardTo?: readonly ForwardTarget[];
  logger: Logger;
}

export interface RunningDev {
  service: string;
  /** The dashboard, through a link that signs the browser in once (valid for ten minutes). */
  dashboardSignIn: string;
  sandbox: string;
  demo: string;
  adminToken: string;
  /** Signing secrets generated for `forwardTo` endpoints now (show them once). */
  forwardSecrets: { url: string; secret: string }[];
  close(): Promise<void>;
}

export const DEV_CLIENT_ID = 'SANDBOX_AUTHNOTIFY_DEV';

export async function startDev(options: DevOptions): Promise<RunningDev> {
  const dir = options.dir ?? './.authnotify/dev';
  const host = options.host ?? '127.0.0.1';
  mkdirSync(dir, { recursive: true });
  const merchant = await loadOrCreateKeyPair(join(dir, 'merchant-keys'), 'merchant');
  const next = (n: number) => (options.port === 0 ? 0 : options.port + n);
  const servicePath = join(dir, 'service.db');
  const spec = { kind: 'sqlite', path: servicePath } as const;
  const warn = (message: string) => options.logger.warn({}, message);
  const secretKeyPlan = planSecret(SECRET_KEY, undefined, spec, warn);
  const adminTokenPlan = planSecret(ADMIN_TOKEN, undefined, spec, warn);

  // Whatever started is closed again if a later step fails: the command must end, not hang.
  const started: (() => Promise<void>)[] = [];
  const closeStarted = async () => {
    for (const close of started.reverse()) await close().catch(() => undefined);
  };
  try {
    // The service's URL is needed by the sandbox (notify URL) and vice versa (API endpoint): start the
    // sandbox first on its port, then the service, then tell the sandbox where to notify.
    const sandbox = await startSandbox({
      host,
      port: next(1),
      database: join(dir, 'sandbox.db'),
      keysDir: join(dir, 'sandbox-keys'),
      clientId: DEV_CLIENT_ID,
      merchantPublicKeys: { '1': merchant.publicKey },
      timeScale: options.timeScale ?? 60,
      logger: options.logger,
    });
    started.push(() => sandbox.close());
    const client = await createAlipayClient({
      clientId: DEV_CLIENT_ID,
      merchantPrivateKey: merchant.privateKey,
      alipayPublicKeys: sandbox.alipayPublicKey,
      endpoint: sandbox.url,
      keyVersion: '1',
      crypto: nodeSignatureCrypto,
    });
    started.push(() => client.close());
    const store = await createSqliteStore({ path: servicePath });
    started.push(() => store.close());
    const secretKey = await secretKeyFor(store, secretKeyPlan, options.logger);
    const adminToken = materializeSecret(ADMIN_TOKEN, adminTokenPlan, options.logger);
    const signInLinks = new SignInLinks();
    const service = await startService({
      signInLinks,
      host,
      port: next(0),
      store,
      clientId: DEV_CLIENT_ID,
      alipayPublicKeys: { '1': sandbox.alipayPublicKey },
      secretKey,
      adminToken,
      notifyPath: '/alipay/notify/authorization',
      logger: options.logger,
      flow: { client },
      forwarding: {
        targets: options.forwardTo ?? [],
        forwarder: {
          // The dev console shows every forwarded attempt, delivered or not.
          onAttempt: (attempt, delivery) =>
            options.logger.info(
              {
                event: delivery.eventType,
                to: delivery.url,
                status: attempt.httpStatus,
                verdict: attempt.verdict,
                attempt: attempt.number,
              },
              'forwarded an event',
            ),
        },
      },
    });
    started.splice(started.length - 2, 2, () => service.close());
    sandbox.context.config.notifyUrl = `${service.url}/alipay/notify/authorization`;
    const demo = createDemoServer({ serviceUrl: service.url, sandboxUrl: sandbox.url, adminToken });
    await listen(demo, next(2), host);
    const demoUrl = `http://${host}:${(demo.address() as AddressInfo).port}`;
    return {
      service: service.url,
      dashboardSignIn: `${service.url}/dashboard/login?code=${signInLinks.issue(Date.now())}`,
      sandbox: sandbox.url,
      demo: demoUrl,
      adminToken,
      forwardSecrets: service.forwarding.generated,
      close: async () => {
        await new Promise<void>((r) => {
          demo.close(() => r());
          demo.closeAllConnections();
        });
        await closeStarted();
      },
    };
  } catch (error) {
    await closeStarted();
    throw error;
  }
}
