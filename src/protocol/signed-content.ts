/**
 * The exact bytes Alipay signs (DESIGN.md §1.2):
 * `<METHOD> <path>\n<Client-Id>.<Request-Time>.<raw body>` — one space, one LF, two dots.
 */
import { concatBytes, utf8 } from './bytes.js';

export interface SignedContentInput {
  method?: string;
  /** Path plus query string, without scheme or host. */
  path: string;
  clientId: string;
  /** `Request-Time` (or `Response-Time`) exactly as sent. */
  time: string;
  /** The raw body bytes as received or sent. Strings are UTF-8 encoded. */
  body: Uint8Array | string;
}

/**
 * Builds the content to sign or verify, never re-serializing the body.
 *
 * @example
 * signedContent({ path: '/notify', clientId: 'SANDBOX_5Y', time: '1700000000000', body: raw });
 */
export function signedContent(input: SignedContentInput): Uint8Array {
  const head = `${input.method ?? 'POST'} ${input.path}\n${input.clientId}.${input.time}.`;
  if (typeof input.body === 'string') return concatBytes([utf8(head), utf8(input.body)]);
  // One allocation: the head is encoded straight into the buffer the body is copied after.
  const out = new Uint8Array(head.length * 3 + input.body.length);
  const { written } = encoder.encodeInto(head, out);
  out.set(input.body, written);
  return out.subarray(0, written + input.body.length);
}

const encoder = new TextEncoder();

/**
 * The signed content as text with whitespace made visible (`\n`, `\r`, `\t`, trailing spaces), for
 * diagnostics such as `authnotify verify`.
 */
export function describeSignedContent(content: Uint8Array): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
  return text
    .replace(/\\/g, '\\\\')
    .replace(/\r/g, '\\r')
    .replace(/\n/g, '\\n')
    .replace(/\t/g, '\\t')
    .replace(/ $/g, '␠');
}

/** Path plus query of a URL, the form the signed content uses. */
export function pathOf(url: string | URL): string {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  return `${parsed.pathname}${parsed.search}`;
}
