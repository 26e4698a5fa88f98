/**
 * `authnotify tail --service URL`: follows a service's notifications and lifecycle changes as they
 * happen, one line each (`--json`: one object per line), like `stripe logs tail`. It reads the service's
 * event stream and, after a dropped connection, resumes where it stopped (Last-Event-ID).
 */
import type { Command } from 'commander';
import { isEventType } from '../../events/types.js';
import { displayId } from '../../protocol/ids.js';
import { ADMIN_TOKEN, readSecretFile, resolveSecretText } from '../../service/secret-file.js';
import { type CliContext, EXIT, UsageError } from '../io.js';
import { readSse, type SseMessage } from '../sse.js';

interface TailFlags {
  service?: string;
  adminToken?: string;
  adminTokenFile?: string;
  types?: string;
  notifications: boolean;
  json?: boolean;
}

/** Why a connection ended: the user stopped, the service refused (no point retrying), or it dropped. */
type Ended =
  | { kind: 'stopped' }
  | { kind: 'refused'; message: string }
  | { kind: 'dropped'; message: string };

const time = (iso: unknown) => (typeof iso === 'string' ? iso.replace('T', ' ').slice(0, 23) : '');

/** One human line for a stream message. */
export function tailLine(m: SseMessage): string {
  const data = JSON.parse(m.data) as Record<string, unknown>;
  if (m.event === 'notification.received') {
    const errors = (data.errors as { message?: string }[] | undefined)?.map((e) => e.message).join('; ');
    return [
      time(data.receivedAt),
      'notification',
      String(data.type ?? '?'),
      displayId(String(data.id)),
      String(data.status),
      data.outcome ? String(data.outcome) : '',
      Number(data.duplicates) > 0 ? `duplicates ${data.duplicates}` : '',
      errors ? `(${errors})` : '',
    ]
      .filter(Boolean)
      .join('  ');
  }
  const d = (data.data ?? {}) as Record<string, unknown>;
  if (m.event === 'notification.quarantined')
    return `${time(data.timestamp)}  ${m.event}  ${displayId(String(d.notificationId))}  ${(d.violations as { path: string; rule: string }[]).map((v) => `${v.path || 'body'}: ${v.rule}`).join(', ')}`;
  return [
    time(data.timestamp),
    m.event,
    `authorization ${displayId(String(d.id))}`,
    `${d.previousStatus ?? '—'} → ${d.status}`,
    d.reason ? `reason "${d.reason}"` : '',
    d.notificationId ? `by notification ${displayId(String(d.notificationId))}` : '',
  ]
    .filter(Boolean)
    .join('  ');
}

export function registerTail(program: Command, ctx: CliContext): void {
  program
    .command('tail')
    .description("follow a service's notifications and lifecycle changes live, one line each")
    .option('--service <url>', 'the service, e.g. http://127.0.0.1:8787 (or AUTHNOTIFY_SERVICE)')
    .option('--admin-token <token>', 'the admin token, or env:NAME (default: AUTHNOTIFY_ADMIN_TOKEN)')
    .option('--admin-token-file <file>', 'read the admin token from this file')
    .option('--types <types>', 'comma list of event types to show (default: every type)')
    .option('--no-notifications', 'show lifecycle changes only, not every notification received')
    .option('--json', 'one JSON object per line: {event, id, data}')
    .action(async (flags: TailFlags) => {
      const env = ctx.io.env;
      const service = flags.service ?? env.AUTHNOTIFY_SERVICE;
      if (!service) throw new UsageError('--service is required: the URL of an authnotify service');
      let base: URL;
      try {
        base = new URL(service);
      } catch {
        throw new UsageError(`--service "${service}" is not a URL; give e.g. http://127.0.0.1:8787`);
      }
      if (base.protocol !== 'http:' && base.protocol !== 'https:')
        throw new UsageError(`--service "${service}" must be an http(s) URL`);
      const warn = (message: string) => ctx.io.stderr(`warning: ${message}\n`);
      if (flags.adminToken !== undefined && flags.adminTokenFile !== undefined)
        throw new UsageError('give --admin-token or --admin-token-file, not both');
      const [raw, from] =
        flags.adminTokenFile !== undefined
          ? [readSecretFile(flags.adminTokenFile, '--admin-token-file', warn), '--admin-token-file']
          : flags.adminToken !== undefined
            ? [resolveSecretText(flags.adminToken, env, '--admin-token', warn), '--admin-token']
            : [env.AUTHNOTIFY_ADMIN_TOKEN ?? '', 'AUTHNOTIFY_ADMIN_TOKEN'];
      if (raw.trim() === '')
        throw new UsageError(
          'an admin token is required: --admin-token, --admin-token-file or AUTHNOTIFY_ADMIN_TOKEN (serve writes it beside its SQLite database)',
        );
      const token = ADMIN_TOKEN.check(raw, from);
      const types = (flags.types ?? '')
        .split(',')
        .map((t) => t.trim())
        .filter(Boolean);
      const unknown = types.filter((t) => !isEventType(t));
      if (unknown.length > 0) throw new UsageError(`--types: "${unknown[0]}" is not an event type`);
      const query = new URLSearchParams();
      if (flags.notifications) query.set('include', 'notifications');
      if (types.length > 0) query.set('type', types.join(','));
      const url = new URL(`/api/v1/events/stream?${query}`, base).href;

      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
      let lastId: string | undefined;
      let connectedOnce = false;
      let wait = 1000;
      const connect = async (): Promise<Ended> => {
        let response: Response;
        try {
          response = await fetch(url, {
            headers: {
              authorization: `Bearer ${token}`,
              accept: 'text/event-stream',
              ...(lastId ? { 'last-event-id': lastId } : {}),
            },
            signal: stop.signal,
          });
        } catch (error) {
          if (stop.signal.aborted) return { kind: 'stopped' };
          const cause = (error as { cause?: { code?: string; message?: string } }).cause;
          return {
            kind: 'dropped',
            message: `cannot reach ${base.origin} (${cause?.code ?? cause?.message ?? (error as Error).message})`,
          };
        }
        if (
          response.status === 401 ||
          response.status === 403 ||
          response.status === 404 ||
          response.status === 400
        ) {
          const body = (await response.json().catch(() => ({}))) as { error?: { message?: string } };
          return { kind: 'refused', message: `${response.status}: ${body.error?.message ?? 'refused'}` };
        }
        if (!response.ok || !response.body)
          return { kind: 'dropped', message: `the service answered ${response.status}` };
        if (!connectedOnce) ctx.io.stderr(`following ${base.origin} (Ctrl-C to stop)\n`);
        else ctx.io.stderr('reconnected; resuming where it stopped\n');
        connectedOnce = true;
        wait = 1000;
        try {
          for await (const m of readSse(response.body)) {
            lastId = m.id ?? lastId;
            ctx.io.stdout(
              flags.json
                ? `${JSON.stringify({ event: m.event, id: m.id, data: JSON.parse(m.data) })}\n`
                : `${tailLine(m)}\n`,
            );
          }
        } catch {
          if (stop.signal.aborted) return { kind: 'stopped' };
        }
        return stop.signal.aborted
          ? { kind: 'stopped' }
          : { kind: 'dropped', message: 'the connection closed' };
      };

      for (;;) {
        const ended = await connect();
        if (ended.kind === 'stopped') break;
        if (ended.kind === 'refused' || !connectedOnce) {
          // A wrong URL or token does not get better by waiting: say so and end.
          ctx.io.stderr(`error: ${ended.message}\n`);
          ctx.exitCode = EXIT.FAILED;
          stop.abort();
          break;
        }
        ctx.io.stderr(`${ended.message}; reconnecting in ${wait / 1000} s\n`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, wait);
          stop.signal.addEventListener('abort', () => {
            clearTimeout(timer);
            resolve();
          });
        });
        wait = Math.min(wait * 2, 30_000);
        if (stop.signal.aborted) break;
      }
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    });
}
