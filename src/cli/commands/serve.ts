import type { Command } from 'commander';
import { type AlipayClient, createAlipayClient } from '../../client/client.js';
import { createMetrics } from '../../http/metrics.js';
import { nodeSignatureCrypto } from '../../protocol/node-crypto.js';
import { checkServeSettings, resolveServeSettings, type ServeSettings } from '../../service/config.js';
import { describeDatabase, openStore, parseDatabase } from '../../service/database.js';
import { createLogger } from '../../service/logger.js';
import {
  ADMIN_TOKEN,
  materializeSecret,
  planSecret,
  SECRET_KEY,
  secretFile,
  secretKeyFor,
} from '../../service/secret-file.js';
import { type RunningService, startService } from '../../service/server.js';
import { LATEST_SCHEMA_VERSION } from '../../store/schema.js';
import { type CliContext, runUntilSignal } from '../io.js';

type ServeFlags = Partial<
  Record<
    | keyof ServeSettings
    | 'adminTokenFile'
    | 'secretKeyFile'
    | 'forwardTo'
    | 'forwardSecret'
    | 'forwardTypes'
    | 'eventRetention',
    unknown
  >
> & {
  config?: string;
  json?: boolean;
  alipayPublicKey?: string[];
};

export function registerServe(program: Command, ctx: CliContext): void {
  program
    .command('serve')
    .description('run the merchant service: notify endpoint, /healthz, /readyz and the admin API')
    .option('--port <port>', 'port to listen on (default 8787)')
    .option('--host <host>', 'address to bind (default 127.0.0.1)')
    .option('--database <db>', 'FILE, sqlite:FILE or postgres://… (default ./authnotify.db)')
    .option('--client-id <id>', 'your Alipay client id')
    .option(
      '--alipay-public-key <key>',
      'Alipay public key: text, file or env:VAR; repeat as VERSION=KEY',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--notify-path <path>',
      'notify path registered with Alipay (default /alipay/notify/authorization)',
    )
    .option(
      '--admin-token <token>',
      'bearer token for /api/v1, ≥ 32 characters, or env:NAME (default: generated beside the SQLite database)',
    )
    .option('--admin-token-file <file>', 'read the admin token from this file')
    .option(
      '--secret-key <key>',
      'secret for token hashes and sealing, ≥ 32 bytes base64 or hex, or env:NAME (default: generated beside the SQLite database)',
    )
    .option('--secret-key-file <file>', 'read the secret key from this file')
    .option('--merchant-private-key <key>', 'sign acknowledgements with this key (optional)')
    .option('--merchant-key-version <n>', 'keyVersion of the merchant key')
    .option('--accept-unknown-auth-state', 'accept authStates that match no consult made here')
    .option(
      '--alipay-endpoint <endpoint>',
      'NORTH_AMERICA, ASIA, EUROPE or a URL: turns on the authorization flow (needs --merchant-private-key)',
    )
    .option(
      '--public-url <url>',
      'how browsers and the wallet reach this service (default: the listening URL)',
    )
    .option('--return-path <path>', 'redirect landing path (default /alipay/authorize/return)')
    .option(
      '--customer-belongs-to <wallet>',
      'customerBelongsTo for consult and applyToken (default ALIPAY_CN)',
    )
    .option('--log-format <format>', 'json or pretty (default json)')
    .option('--log-level <level>', 'debug, info, warn, error or silent (default info)')
    .option(
      '--trusted-proxy <address>',
      'a reverse proxy whose X-Forwarded-For/-Proto to believe; repeat for several',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--forward-to <url>',
      'forward events (authorization.*, notification.quarantined) to this URL, signed per Standard Webhooks; repeat for several',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--forward-secret <secret>',
      'whsec_… signing secret for --forward-to, or env:NAME or file:PATH (default: generated and shown once)',
    )
    .option('--forward-types <types>', 'comma list of event types to forward (default: every type)')
    .option('--event-retention <duration>', 'how long events stay in the feed, e.g. 30d (default), 7d')
    .option('--config <file>', 'JSON file with any of these settings (camelCase keys)')
    .option('--json', 'print one JSON line with the URL once listening')
    .action(async (flags: ServeFlags) => {
      const { json, alipayPublicKey, ...settingsFlags } = flags;
      // Everything is read and checked before a store, a thread or a file exists (issue 11).
      const warnings: string[] = [];
      const warn = (message: string) => warnings.push(message);
      const settings = resolveServeSettings(
        { ...settingsFlags, ...(alipayPublicKey ? { alipayPublicKeys: alipayPublicKey } : {}) },
        ctx.io.env,
        warn,
      );
      const spec = parseDatabase(settings.database);
      await checkServeSettings(settings, spec);
      const secretKeyPlan = planSecret(SECRET_KEY, settings.secretKey, spec, warn);
      const adminTokenPlan = planSecret(ADMIN_TOKEN, settings.adminToken, spec, warn);
      const logger = createLogger({
        format: settings.logFormat,
        level: settings.logLevel,
        write: (line) => ctx.io.stderr(line),
      });
      for (const message of warnings) logger.warn({}, message);
      const adminTokenFile = settings.adminToken === undefined ? secretFile(ADMIN_TOKEN, spec) : undefined;
      const metrics = createMetrics();
      const store = await openStore(spec, { onBatch: metrics.onBatch });
      let client: AlipayClient | undefined;
      let service: RunningService;
      try {
        const secretKey = await secretKeyFor(store, secretKeyPlan, logger);
        const adminToken = materializeSecret(ADMIN_TOKEN, adminTokenPlan, logger);
        client =
          settings.alipayEndpoint && settings.merchantPrivateKey
            ? await createAlipayClient({
                clientId: settings.clientId,
                merchantPrivateKey: settings.merchantPrivateKey,
                alipayPublicKeys: settings.alipayPublicKeys,
                endpoint: settings.alipayEndpoint,
                ...(settings.merchantKeyVersion ? { keyVersion: settings.merchantKeyVersion } : {}),
                crypto: nodeSignatureCrypto,
                onCall: metrics.onClientCall,
              })
            : undefined;
        service = await startService({
          host: settings.host,
          port: settings.port,
          store,
          clientId: settings.clientId,
          alipayPublicKeys: settings.alipayPublicKeys,
          secretKey,
          adminToken,
          notifyPath: settings.notifyPath,
          logger,
          merchantPrivateKey: settings.merchantPrivateKey,
          merchantKeyVersion: settings.merchantKeyVersion,
          acceptUnknownAuthState: settings.acceptUnknownAuthState,
          trustedProxies: settings.trustedProxies,
          // Overlap passes: each waits on store round trips (a pool connection, or the SQLite thread).
          processor: { concurrency: spec.kind === 'postgres' ? 4 : 2 },
          metrics,
          forwarding: {
            targets: settings.forwarding.targets,
            retentionMs: settings.forwarding.eventRetentionMs,
          },
          flow: client
            ? {
                client,
                publicUrl: settings.publicUrl,
                returnPath: settings.returnPath,
                customerBelongsTo: settings.customerBelongsTo,
              }
            : undefined,
        });
      } catch (error) {
        // Nothing may be left open: the command must end, not hang on a thread or a pool.
        await client?.close().catch(() => undefined);
        await store.close().catch(() => undefined);
        throw error;
      }
      // Listening for signals before saying we are up: a SIGTERM right after the line must shut down cleanly.
      const stopped = runUntilSignal(() => service.close());
      // A generated signing secret is shown here once (never logged): the consumer needs it to verify.
      const forwardSecrets = service.forwarding.generated;
      if (json) {
        ctx.io.stdout(
          `${JSON.stringify({ url: service.url, notifyPath: settings.notifyPath, database: describeDatabase(spec), ...(adminTokenFile ? { adminTokenFile } : {}), ...(forwardSecrets.length > 0 ? { forwardSecrets } : {}) })}\n`,
        );
      } else {
        ctx.io.stdout(
          `authnotify serving ${service.url}${settings.notifyPath} (${describeDatabase(spec)})\n`,
        );
        if (adminTokenFile) ctx.io.stdout(`admin API token is in ${adminTokenFile}\n`);
        for (const f of forwardSecrets)
          ctx.io.stdout(
            `forwarding events to ${f.url}; its signing secret (shown once; GET /api/v1/destinations/…/secret shows it again): ${f.secret}\n`,
          );
      }
      await stopped;
    });

  program
    .command('migrate')
    .description('apply pending database migrations')
    .option(
      '--database <db>',
      'FILE, sqlite:FILE or postgres://… (default ./authnotify.db, or AUTHNOTIFY_DATABASE)',
    )
    .option('--json', 'print the result as JSON')
    .action(async (flags: { database?: string; json?: boolean }) => {
      const spec = parseDatabase(flags.database ?? ctx.io.env.AUTHNOTIFY_DATABASE ?? './authnotify.db');
      const store = await openStore(spec, { migrate: false });
      try {
        const before = await store.schemaVersion();
        ctx.io.stderr(
          `migrating ${describeDatabase(spec)} from version ${before} to ${LATEST_SCHEMA_VERSION}…\n`,
        );
        const applied = await store.migrate(Date.now());
        const after = await store.schemaVersion();
        if (flags.json)
          ctx.io.stdout(
            `${JSON.stringify({ database: describeDatabase(spec), applied, schemaVersion: after })}\n`,
          );
        else
          ctx.io.stdout(
            applied.length
              ? `applied migrations ${applied.join(', ')}; schema version ${after}\n`
              : `already at schema version ${after}; nothing to apply\n`,
          );
      } finally {
        await store.close();
      }
    });
}
