import type { Command } from 'commander';
import { eventKey } from '../../protocol/event-key.js';
import { createKeyRing } from '../../protocol/key-ring.js';
import { generateRsaKeyPair } from '../../protocol/keys.js';
import { parseNotification } from '../../protocol/notification.js';
import { formatRequestTime } from '../../protocol/request-time.js';
import { signMessage, verifyMessage } from '../../protocol/signature.js';
import type { CliContext } from '../io.js';

/** The seed page's own sample request. */
const SAMPLE =
  '{"authorizationNotifyType":"TOKEN_CANCELED","accessToken":"28100103_20215703001538122119","result":{"resultCode":"SUCCESS","resultMessage":"success","resultStatus":"S"}}';

export function registerDemo(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('demo')
    .description('sign and verify a sample notification in memory, to show the protocol core at work')
    .action(async () => {
      io.stdout(`${program.helpInformation()}\n`);
      io.stdout('Self-demo: signs the notifyAuthorization sample from the Alipay docs and verifies it.\n\n');
      const pair = await generateRsaKeyPair();
      const keys = await createKeyRing({ '1': pair.publicKey });
      const now = Date.now();
      const time = formatRequestTime(now);
      const path = '/alipay/notify/authorization';
      const clientId = 'SANDBOX_DEMO';
      const signature = await signMessage({
        path,
        clientId,
        time,
        body: SAMPLE,
        privateKey: pair.privateKey,
        keyVersion: '1',
      });
      io.stdout(
        `  POST ${path}\n  Client-Id: ${clientId}\n  Request-Time: ${time}\n  Signature: ${signature.slice(0, 60)}…\n  ${SAMPLE}\n\n`,
      );
      const parsed = parseNotification(SAMPLE);
      if (parsed.status === 'valid')
        io.stdout(
          `  parsed: ${parsed.notification.authorizationNotifyType}, event key ${eventKey(parsed.notification)}\n`,
        );
      const cases: [string, string, string][] = [
        ['as sent', SAMPLE, path],
        ['body re-serialized with spaces', JSON.stringify(JSON.parse(SAMPLE), null, 1), path],
        ['path rewritten by a proxy', SAMPLE, '/notify'],
        ['body altered (one space added)', `${SAMPLE} `, path],
      ];
      for (const [label, body, receivedPath] of cases) {
        const headers = new Headers({ 'Client-Id': clientId, 'Request-Time': time, Signature: signature });
        const verdict = await verifyMessage(
          { receivedPath, headers, body: new TextEncoder().encode(body) },
          { clientId, keys, now, canonicalPath: path },
        );
        io.stdout(
          `  ${label.padEnd(32)} → ${verdict.ok ? `valid (${verdict.matchedPath} path)` : verdict.code}\n`,
        );
      }
      io.stdout(
        '\nTo receive real notifications run `authnotify serve --client-id … --alipay-public-key …` (docs/standalone-service.md).\n' +
          'Try the whole flow locally with `authnotify dev` (a sandbox, the service and a demo page).\n',
      );
    });
}
