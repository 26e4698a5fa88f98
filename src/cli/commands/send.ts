import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { nodeSignatureCrypto } from '../../protocol/node-crypto.js';
import { readKeySource } from '../../protocol/node-key-source.js';
import { NOTIFY_TYPES, type NotifyType } from '../../protocol/notification.js';
import { formatDuration } from '../../protocol/request-time.js';
import { parseDuration, parseSchedule, scheduleHorizonMs } from '../../protocol/schedule.js';
import { createSender } from '../../sender/sender.js';
import { createSqliteStore } from '../../store/sqlite/index.js';
import type { AttemptRecord, OutboxNext } from '../../store/types.js';
import { type CliContext, EXIT, timeScaleFlag, UsageError } from '../io.js';

interface SendFlags {
  to: string;
  clientId: string;
  privateKey: string;
  keyVersion?: string;
  accessToken?: string;
  authCode?: string;
  authState?: string;
  reason?: string;
  userId?: string;
  userLoginId?: string;
  authClientId?: string;
  body?: string;
  schedule: string;
  timeScale: string;
  timeout: string;
  json?: boolean;
}

const plausible = (prefix: string) => `${prefix}${Date.now()}${randomBytes(4).toString('hex')}`;

/** The notification to send: `--body FILE` as is, or fields with plausible values filled in. */
function buildBody(type: NotifyType, f: SendFlags, cwd: string): string {
  if (f.body) {
    try {
      return readFileSync(resolve(cwd, f.body), 'utf8');
    } catch (error) {
      throw new UsageError(`cannot read --body ${f.body}: ${(error as Error).message}`);
    }
  }
  const n: Record<string, unknown> = { authorizationNotifyType: type };
  if (type === 'AUTHCODE_CREATED') n.authCode = f.authCode ?? plausible('ac_');
  if (type !== 'AUTHCODE_CREATED') n.accessToken = f.accessToken ?? plausible('2810010');
  if (type !== 'TOKEN_CANCELED' || f.authState) n.authState = f.authState ?? plausible('state_');
  if (f.reason) n.reason = f.reason;
  if (f.userId) n.userId = f.userId;
  if (f.userLoginId) n.userLoginId = f.userLoginId;
  if (f.authClientId) n.authClientId = f.authClientId;
  n.result = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
  return JSON.stringify(n);
}

/**
 * What the receiver answered, for an attempt it did not acknowledge: its result (code, status, message)
 * when the body is Alipay's result shape, otherwise the first bytes of the body on one line.
 */
export function describeAnswer(excerpt: string | null): string {
  if (excerpt === null || excerpt.trim() === '') return 'an empty body';
  try {
    const result = (JSON.parse(excerpt) as { result?: Record<string, unknown> }).result;
    if (result && typeof result === 'object') {
      const field = (name: string) => (typeof result[name] === 'string' ? (result[name] as string) : '?');
      return `resultCode ${field('resultCode')}, resultStatus ${field('resultStatus')}: ${field('resultMessage').slice(0, 200)}`;
    }
  } catch {
    // not JSON: show the text
  }
  const line = excerpt.replace(/\s+/g, ' ').trim();
  return `"${line.length > 120 ? `${line.slice(0, 120)}…` : line}"`;
}

function describeAttempt(a: AttemptRecord, next: OutboxNext, timeScale: number): string {
  const status = a.httpStatus === null ? (a.errorClass ?? 'no response') : `HTTP ${a.httpStatus}`;
  const answer =
    a.verdict === 'ACKNOWLEDGED' || a.httpStatus === null
      ? ''
      : `, answered ${describeAnswer(a.responseExcerpt)}`;
  const outcome = a.verdict === 'ACKNOWLEDGED' ? 'acknowledged' : `not acknowledged (${a.verdict}${answer})`;
  let tail = '';
  if (next.status === 'PENDING') {
    const wait = next.nextAttemptAt - a.finishedAt;
    tail =
      timeScale === 1
        ? `; next attempt in ${formatDuration(wait)}`
        : `; next attempt in ${formatDuration(wait * timeScale)} (${formatDuration(wait)} at time scale ${timeScale})`;
  } else if (next.status === 'EXHAUSTED') {
    tail = '; schedule exhausted';
  }
  return `#${a.number} ${new Date(a.startedAt).toISOString()} ${status} ${outcome}${tail}\n`;
}

export function registerSend(program: Command, ctx: CliContext): void {
  program
    .command('send')
    .description('sign and deliver one notification on the documented retry schedule, printing each attempt')
    .argument('<type>', NOTIFY_TYPES.join(' | '))
    .requiredOption('--to <url>', "the merchant's notify URL")
    .requiredOption('--client-id <id>', 'Client-Id to send (the merchant client id)')
    .requiredOption('--private-key <key>', 'key to sign with: text, file or env:VAR')
    .option('--key-version <n>', 'keyVersion in the Signature header')
    .option('--access-token <token>')
    .option('--auth-code <code>')
    .option('--auth-state <state>')
    .option('--reason <text>')
    .option('--user-id <id>')
    .option('--user-login-id <login>')
    .option('--auth-client-id <id>')
    .option('--body <file>', 'send this exact body instead of building one')
    .option('--schedule <spec>', 'alipay, once, or delays such as "0s,2m,10m"', 'alipay')
    .option('--time-scale <n>', '3600 makes an hour pass in a second', '1')
    .option('--timeout <duration>', 'per-attempt timeout', '10s')
    .option('--json', 'print one JSON line per attempt and a final summary')
    .action(async (type: string, f: SendFlags) => {
      if (!(NOTIFY_TYPES as readonly string[]).includes(type)) {
        throw new UsageError(`"${type}" is not a notification type; use ${NOTIFY_TYPES.join(', ')}`);
      }
      const timeScale = timeScaleFlag(f.timeScale);
      let schedule: ReturnType<typeof parseSchedule>;
      let timeoutMs: number;
      try {
        schedule = parseSchedule(f.schedule);
        timeoutMs = parseDuration(f.timeout);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const body = buildBody(type as NotifyType, f, ctx.io.cwd);
      const horizon = scheduleHorizonMs(schedule) / timeScale;
      if (horizon >= 3_600_000 && !f.json) {
        ctx.io.stderr(
          `note: this schedule runs for ${formatDuration(horizon)} if the receiver never acknowledges; ` +
            'pass --time-scale 3600 (an hour a second) or --schedule once to try it quickly\n',
        );
      }
      const store = await createSqliteStore({ path: ':memory:' });
      const sender = await createSender({
        store,
        clientId: f.clientId,
        privateKey: readKeySource(f.privateKey, ctx.io.env),
        ...(f.keyVersion ? { keyVersion: f.keyVersion } : {}),
        schedule,
        timeScale,
        timeoutMs,
        crypto: nodeSignatureCrypto,
        onAttempt: (attempt, _delivery, next) => {
          ctx.io.stdout(
            f.json ? `${JSON.stringify({ ...attempt, next })}\n` : describeAttempt(attempt, next, timeScale),
          );
        },
      });
      try {
        const id = await sender.enqueue({ notification: body, to: f.to });
        for (;;) {
          await sender.runOnce();
          const row = await store.getOutbox(id);
          if (!row || row.status === 'ACKNOWLEDGED' || row.status === 'EXHAUSTED') {
            const acknowledged = row?.status === 'ACKNOWLEDGED';
            if (f.json)
              ctx.io.stdout(`${JSON.stringify({ status: row?.status, attempts: row?.attempts })}\n`);
            else
              ctx.io.stdout(
                acknowledged
                  ? `acknowledged after ${row?.attempts} attempt(s)\n`
                  : `not acknowledged after ${row?.attempts} attempt(s)\n`,
              );
            ctx.exitCode = acknowledged ? EXIT.OK : EXIT.FAILED;
            return;
          }
          await new Promise((r) => setTimeout(r, Math.max(0, row.nextAttemptAt - Date.now())));
        }
      } finally {
        await sender.close();
        await store.close();
      }
    });
}
