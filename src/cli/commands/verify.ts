import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { isAuthNotifyError } from '../../protocol/errors.js';
import { createKeyRing } from '../../protocol/key-ring.js';
import { maskSecretsInText } from '../../protocol/mask.js';
import { readKeySource } from '../../protocol/node-key-source.js';
import { DEFAULT_TIME_WINDOW, parseRequestTime } from '../../protocol/request-time.js';
import { type Verdict, verifyMessage } from '../../protocol/signature.js';
import { parseSignatureHeader } from '../../protocol/signature-header.js';
import { describeSignedContent } from '../../protocol/signed-content.js';
import { DEFAULT_NOTIFY_PATH } from '../../receiver/receiver.js';
import { type CliContext, type CliIo, EXIT, UsageError } from '../io.js';
import { type Diagnosis, diagnose } from '../verify-diagnosis.js';

interface VerifyOptions {
  publicKey: string[];
  clientId: string;
  path?: string;
  requestTime?: string;
  signature?: string;
  headers?: string;
  request?: string;
  body?: string;
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
    .option('--body <file>', 'file holding the raw body, or - for standard input')
    .option('--request <file>', 'a raw HTTP capture: request line, headers, a blank line, then the body')
    .option(
      '--check-time',
      `also apply the receiver's Request-Time window (${DEFAULT_TIME_WINDOW.pastMs / 3_600_000} h past, 5 min future)`,
    )
    .option('--json', 'print the verdict as JSON')
    .action(async (opts: VerifyOptions) => {
      let body: Uint8Array;
      let headers = new Headers();
      let path = opts.path;
      if (opts.request) {
        const capture = parseCapture(readBody(resolve(io.cwd, opts.request), '--request'));
        body = capture.body;
        headers = capture.headers;
        path ??= capture.path;
      } else if (opts.body) {
        body = opts.body === '-' ? await io.readStdin() : readBody(resolve(io.cwd, opts.body));
      } else throw new UsageError('give --body FILE (or -), or --request FILE with a raw HTTP capture');
      if (opts.request) {
        // headers and path came with the capture
      } else if (opts.headers) {
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
      path ??= DEFAULT_NOTIFY_PATH;
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
      const diagnosis =
        !verdict.ok && verdict.code === 'INVALID_SIGNATURE'
          ? await diagnoseCapture(headers, ring, path, opts.clientId, body)
          : undefined;
      report(verdict, diagnosis, body, headers, io, opts.json === true);
      ctx.exitCode = verdict.ok ? EXIT.OK : EXIT.FAILED;
    });
}

function readBody(path: string, flag = '--body'): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (error) {
    throw new UsageError(`cannot read ${flag} ${path}: ${(error as Error).message}`);
  }
}

/** A raw HTTP capture: the head up to the first blank line (CRLF or LF), the body's bytes after it. */
export function parseCapture(bytes: Uint8Array): {
  headers: Headers;
  path: string | undefined;
  body: Uint8Array;
} {
  let end = -1;
  let skip = 0;
  for (let i = 0; i < bytes.length - 1; i++) {
    if (bytes[i] === 0x0a && bytes[i + 1] === 0x0a) {
      end = i;
      skip = 2;
      break;
    }
    if (bytes[i] === 0x0d && bytes[i + 1] === 0x0a && bytes[i + 2] === 0x0d && bytes[i + 3] === 0x0a) {
      end = i;
      skip = 4;
      break;
    }
  }
  if (end < 0) throw new UsageError('the --request file has no blank line between the headers and the body');
  const head = parseHeaderLines(new TextDecoder().decode(bytes.subarray(0, end)));
  return { ...head, body: bytes.subarray(end + skip) };
}

async function diagnoseCapture(
  headers: Headers,
  ring: Awaited<ReturnType<typeof createKeyRing>>,
  path: string,
  clientId: string,
  body: Uint8Array,
): Promise<Diagnosis | undefined> {
  try {
    const { signature } = parseSignatureHeader(headers.get('Signature') ?? '');
    return await diagnose({
      signature,
      ring,
      path,
      clientId,
      headerClientId: headers.get('Client-Id') ?? undefined,
      time: headers.get('Request-Time') ?? '',
      body,
    });
  } catch {
    return undefined;
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

/** The diagnosis in sentences: which key made the signature, and what in the capture differs from what it signed. */
function explain(d: Diagnosis): string[] {
  const made = d.openings.find((o) => o.made);
  if (!made) {
    const sha1 = d.openings.some((o) => !o.made && o.why === 'not-sha256');
    return [
      sha1
        ? 'A configured key opens the signature, but it is not an RSA-SHA256 signature (another hash was used).'
        : `None of the configured public keys (keyVersion ${d.openings.map((o) => o.keyVersion).join(', ')}) made this signature: it was signed with another key.`,
      'Check that --public-key is the Alipay public key for this environment (sandbox and production differ) and not your own merchant public key.',
    ];
  }
  const which = `keyVersion ${made.keyVersion}'s key made this signature`;
  if (d.match)
    return [
      `The key matches (${which}), but the signed bytes differ: Alipay signed ${d.match.change}.`,
      d.match.fix,
    ];
  return [
    `The key matches (${which}), but the signed bytes are none of the usual variants of this capture (path, line endings, trailing newline, re-serialized JSON, client id).`,
    'The body, the path, the Client-Id or the Request-Time was changed in some other way between Alipay and the capture.',
  ];
}

function report(
  verdict: Verdict,
  diagnosis: Diagnosis | undefined,
  body: Uint8Array,
  headers: Headers,
  io: CliIo,
  json: boolean,
): void {
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
      : verdict.checked.map((c) => ({
          path: c.path,
          content: maskSecretsInText(new TextDecoder().decode(c.content)),
        }));
    const cause = diagnosis ? { diagnosis: { ...diagnosis, explanation: explain(diagnosis) } } : {};
    io.stdout(
      `${JSON.stringify({ ...verdict, ...(checked ? { checked } : {}), ...cause, requestTimeParsed: timeNote })}\n`,
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
    io.stdout(
      `\nsigned content checked (path ${item.path}; tokens and login ids masked):\n  ${maskSecretsInText(describeSignedContent(item.content))}\n`,
    );
  }
  if (diagnosis) io.stdout(`\ncause: ${explain(diagnosis).join('\n')}\n`);
  else io.stdout(`\nlikely cause: ${verdict.hint}\n`);
  if (verdict.code === 'INVALID_SIGNATURE' && trailingNewline) {
    io.stdout(
      'note: the body file ends with a newline; if the captured body did not, the editor added it.\n',
    );
  }
}
