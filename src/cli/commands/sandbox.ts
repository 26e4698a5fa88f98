import type { Command } from 'commander';
import { parseDuration } from '../../protocol/schedule.js';
import { startSandbox } from '../../sandbox/server.js';
import { checkPublicKeys, parsePublicKeys } from '../../service/config.js';
import { createLogger } from '../../service/logger.js';
import { type CliContext, portFlag, runUntilSignal, timeScaleFlag, UsageError } from '../io.js';

interface SandboxFlags {
  port: string;
  host: string;
  database: string;
  keysDir: string;
  clientId: string;
  merchantPublicKey: string[];
  notifyUrl?: string;
  timeScale: string;
  accessTokenTtl?: string;
  refreshTokenTtl?: string;
  revokeNotifies?: boolean;
  logFormat: string;
  json?: boolean;
}

export function registerSandbox(program: Command, ctx: CliContext): void {
  program
    .command('sandbox')
    .description('run a local Alipay: auth APIs, wallet pages, notifications on the real schedule, faults')
    .option('--port <port>', 'port', '8788')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--database <file>', 'SQLite file for sandbox state and its outbox', './.authnotify/sandbox.db')
    .option(
      '--keys-dir <dir>',
      "the sandbox's key pair (generated on first run)",
      './.authnotify/sandbox-keys',
    )
    .requiredOption('--client-id <id>', 'the merchant client id the sandbox serves')
    .requiredOption(
      '--merchant-public-key <key>',
      'merchant public key to verify API requests: text, file or env:VAR; repeat as VERSION=KEY',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option('--notify-url <url>', 'merchant notify URL when a consult gives no authNotifyUrl')
    .option('--time-scale <n>', 'compress the retry schedule: 3600 makes an hour pass in a second', '1')
    .option('--access-token-ttl <duration>', 'access token lifetime (short ones exercise refresh)', '30d')
    .option('--refresh-token-ttl <duration>', 'refresh token lifetime', '365d')
    .option('--revoke-notifies', 'send TOKEN_CANCELED when the merchant revokes, as newer docs describe')
    .option('--log-format <format>', 'json or pretty', 'pretty')
    .option('--json', 'print one JSON line with the URL and the Alipay public key once listening')
    .action(async (f: SandboxFlags) => {
      const port = portFlag(f.port);
      const timeScale = timeScaleFlag(f.timeScale);
      if (f.notifyUrl) {
        try {
          new URL(f.notifyUrl);
        } catch {
          throw new UsageError(`--notify-url "${f.notifyUrl}" is not a URL`);
        }
      }
      let accessTokenTtlMs: number;
      let refreshTokenTtlMs: number;
      try {
        accessTokenTtlMs = parseDuration(f.accessTokenTtl ?? '30d');
        refreshTokenTtlMs = parseDuration(f.refreshTokenTtl ?? '365d');
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const merchantPublicKeys = parsePublicKeys(f.merchantPublicKey, ctx.io.env);
      await checkPublicKeys('--merchant-public-key', merchantPublicKeys);
      const logger = createLogger({
        format: f.logFormat === 'json' ? 'json' : 'pretty',
        write: (l) => ctx.io.stderr(l),
      });
      const sandbox = await startSandbox({
        host: f.host,
        port,
        database: f.database,
        keysDir: f.keysDir,
        clientId: f.clientId,
        merchantPublicKeys,
        notifyUrl: f.notifyUrl,
        timeScale,
        accessTokenTtlMs,
        refreshTokenTtlMs,
        revokeNotifies: f.revokeNotifies === true,
        logger,
      });
      const stopped = runUntilSignal(() => sandbox.close());
      if (f.json)
        ctx.io.stdout(`${JSON.stringify({ url: sandbox.url, alipayPublicKey: sandbox.alipayPublicKey })}\n`);
      else
        ctx.io.stdout(
          `Alipay sandbox on ${sandbox.url}\nAlipay public key for the merchant: ${sandbox.alipayPublicKey}\n`,
        );
      await stopped;
    });
}
