import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isAuthNotifyError } from '../../protocol/errors.js';
import { createKeyRing } from '../../protocol/key-ring.js';
import { readKeySource } from '../../protocol/node-key-source.js';
import { DEFAULT_TIME_WINDOW, parseRequestTime } from '../../protocol/request-time.js';
import { type Verdict, verifyMessage } from '../../protocol/signature.js';
import { describeSignedContent } from '../../protocol/signed-content.js';
import { type CliContext, type CliIo, EXIT, UsageError } from '../io.js';

interface VerifyOptions {
  publicKey: string[];
  clientId: string;
  path?: string;
  requestTime?: string;
  signature?: string;
  headers?: string;
  body: string;
  checkTime?: boolean;
  json?: boolean;
}

/** Parses raw `Name: value` lines (and an optional `POST /path HTTP/1.1` request line). */
export function parseHeaderLines(text: string): { headers: Headers; path: string | undefined } {
  const headers = new Headers();
  let path: string | undefined;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const request = /^([A-Z]+)\s+(\S+)\s+HTTP\/[\d.]+$/.exec(line.trim());
    if (request) {
      path = request[2];
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new UsageError(`header line "${line.slice(0, 60)}" is not "Name: value"`);
    headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
  }
  return { headers, path };
}

export function registerVerify(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  program
    .command('verify')
    .description('explain why a captured notification does or does not verify')
    .requiredOption(
      '--public-key <key>',
      'Alipay public key: text, file path or env:VAR; repeat as VERSION=KEY for several',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .requiredOption('--client-id <id>', 'your client id (Client-Id must equal it)')
    .option('--path <path>', 'notify path and query the request was posted to')
    .option('--request-time <time>', 'the Request-Time header value')
    .option('--signature <header>', 'the Signature header value')
    .option('--headers <file>', 'file of raw "Name: value" header lines instead of the three header flags')
    .requiredOption('--body <file>', 'file holding the raw body, or - for standard input')
    .option(
      '--check-time',
      `also apply the receiver's Request-Time window (${DEFAULT_TIME_WINDOW.pastMs / 3_600_000} h past, 5 min future)`,
    )
    .option('--json', 'print the verdict as JSON')
    .action(async (opts: VerifyOptions) => {
      const body = opts.body === '-' ? await io.readStdin() : readBody(resolve(io.cwd, opts.body));
      let headers = new Headers();
      let path = opts.path;
      if (opts.headers) {
        const parsed = parseHeaderLines(readFileSync(resolve(io.cwd, opts.headers), 'utf8'));
        headers = parsed.headers;
        path ??= parsed.path;
      } else {
        if (!opts.requestTime || !opts.signature) {
          throw new UsageError('give --request-time and --signature, or --headers FILE');
        }
        headers.set('Client-Id', opts.clientId);
        headers.set('Request-Time', opts.requestTime);
        headers.set('Signature', opts.signature);
      }
      if (!path) throw new UsageError('give --path (the notify path, e.g. /alipay/notify/authorization)');
      const ring = await createKeyRing(keyMap(opts.publicKey, io));
      const verdict = await verifyMessage(
        { receivedPath: path, headers, body },
        {
          clientId: opts.clientId,
          keys: ring,
          window: opts.checkTime ? DEFAULT_TIME_WINDOW : false,
          now: Date.now(),
        },
      );
      report(verdict, body, headers, io, opts.json === true);
      ctx.exitCode = verdict.ok ? EXIT.OK : EXIT.FAILED;
    });
}

function readBody(path: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UsageError(`cannot read --body ${path}: ${(error as Error).message}`);
  }
}

function keyMap(values: string[], io: CliIo): Record<string, string> {
  const map: Record<string, string> = {};
  for (const value of values) {
    const m = /^([0-9A-Za-z._-]{1,32})=(.+)$/s.exec(value);
    const [version, source] =
      m && !value.startsWith('-----') ? [m[1] as string, m[2] as string] : ['1', value];
    if (map[version] !== undefined) throw new UsageError(`keyVersion ${version} is given twice`);
    map[version] = readKeySource(source, io.env);
  }
  return map;
}

function report(verdict: Verdict, body: Uint8Array, headers: Headers, io: CliIo, json: boolean): void {
  const requestTime = headers.get('Request-Time') ?? '';
  let timeNote: string | undefined;
  try {
    timeNote = new Date(parseRequestTime(requestTime)).toISOString();
  } catch (error) {
    timeNote = isAuthNotifyError(error) ? 'not a recognised time' : undefined;
  }
  const trailingNewline = body[body.length - 1] === 0x0a;
  if (json) {
    const checked = verdict.ok
      ? undefined
      : verdict.checked.map((c) => ({ path: c.path, content: new TextDecoder().decode(c.content) }));
    io.stdout(
      `${JSON.stringify({ ...verdict, ...(checked ? { checked } : {}), requestTimeParsed: timeNote })}\n`,
    );
    return;
  }
  if (verdict.ok) {
    io.stdout(`valid: signature verifies with keyVersion ${verdict.keyVersion} over path ${verdict.path}\n`);
    io.stdout(`Request-Time ${requestTime} (${timeNote ?? 'unparsed'})\n`);
    return;
  }
  io.stdout(`invalid: ${verdict.code}\n${verdict.message}\n`);
  for (const item of verdict.checked) {
    io.stdout(`\nsigned content checked (path ${item.path}):\n  ${describeSignedContent(item.content)}\n`);
  }
  io.stdout(`\nlikely cause: ${verdict.hint}\n`);
  if (verdict.code === 'INVALID_SIGNATURE' && trailingNewline) {
    io.stdout(
      'note: the body file ends with a newline; if the captured body did not, the editor added it.\n',
    );
  }
}
