import type { Command } from 'commander';
import { resolveForwardSettings } from '../../service/forward-config.js';
import { createLogger } from '../../service/logger.js';
import { startDev } from '../dev/dev.js';
import { type CliContext, portFlag, runUntilSignal, timeScaleFlag } from '../io.js';

interface DevFlags {
  port: string;
  host: string;
  dir: string;
  timeScale: string;
  forwardTo?: string[];
  forwardSecret?: string;
  forwardTypes?: string;
  json?: boolean;
}

export function registerDev(program: Command, ctx: CliContext): void {
  program
    .command('dev')
    .description('the sandbox, the service and a demo merchant page, wired together (the README quickstart)')
    .option('--port <port>', 'service port; the sandbox and demo page take the next two', '8787')
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--dir <dir>', 'keys, secrets and databases', './.authnotify/dev')
    .option('--time-scale <n>', 'compress the notification retry schedule', '60')
    .option(
      '--forward-to <url>',
      'forward events to this URL (Standard Webhooks signatures); repeat for several',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--forward-secret <secret>',
      'whsec_… secret, env:NAME or file:PATH (default: generated, shown once)',
    )
    .option('--forward-types <types>', 'comma list of event types to forward (default: every type)')
    .option('--json', 'print one JSON line with the URLs and admin token once ready')
    .action(async (f: DevFlags) => {
      const port = portFlag(f.port, 65533);
      const timeScale = timeScaleFlag(f.timeScale);
      const at = (value: unknown, from: string) => (value === undefined ? undefined : { value, from });
      const forwarding = resolveForwardSettings(
        {
          forwardTo: at(f.forwardTo, '--forward-to'),
          forwardSecret: at(f.forwardSecret, '--forward-secret'),
          forwardTypes: at(f.forwardTypes, '--forward-types'),
        },
        ctx.io.env,
        (message) => ctx.io.stderr(`warning: ${message}\n`),
      );
      const logger = createLogger({
        format: 'pretty',
        level: f.json ? 'warn' : 'info',
        write: (l) => ctx.io.stderr(l),
      });
      const dev = await startDev({
        port,
        host: f.host,
        dir: f.dir,
        timeScale,
        logger,
        forwardTo: forwarding.targets,
      });
      const stopped = runUntilSignal(() => dev.close());
      if (f.json) {
        ctx.io.stdout(
          `${JSON.stringify({ service: dev.service, dashboard: dev.dashboardSignIn, sandbox: dev.sandbox, demo: dev.demo, adminToken: dev.adminToken, ...(dev.forwardSecrets.length > 0 ? { forwardSecrets: dev.forwardSecrets } : {}) })}\n`,
        );
      } else {
        ctx.io.stdout(
          `\nauthnotify dev is running:\n  demo merchant  ${dev.demo}   ← open this, click "Connect Alipay"\n  dashboard      ${dev.dashboardSignIn}\n                 (signs you in once, within 10 minutes; later sign in with the token in ${f.dir}/service.db.admin-token)\n  service        ${dev.service}   (admin API token in ${f.dir}/service.db.admin-token)\n  sandbox        ${dev.sandbox}   (wallet account: ${dev.sandbox}/wallet/account)\n${forwarding.targets.map((t) => `  forwarding to  ${t.url}\n`).join('')}${dev.forwardSecrets.map((s) => `                 signing secret for ${s.url} (shown once): ${s.secret}\n`).join('')}Press Ctrl-C to stop.\n`,
        );
      }
      await stopped;
    });
}
