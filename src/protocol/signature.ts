/**
 * Signing and verifying Alipay messages: RSASSA-PKCS1-v1_5 with SHA-256 over the signed content
 * (DESIGN.md §1.2), on WebCrypto so it runs on Node, Bun, Deno and edge runtimes and spreads over
 * Node's thread pool.
 */
import { AuthNotifyError, type ErrorCode } from './errors.js';
import type { KeyRing } from './key-ring.js';
import { importPrivateKey } from './keys.js';
import { checkTimeWindow, DEFAULT_TIME_WINDOW, parseRequestTime, type TimeWindow } from './request-time.js';
import { type SignatureCrypto, webSignatureCrypto } from './signature-crypto.js';
import { formatSignatureHeader, parseSignatureHeader } from './signature-header.js';
import { type SignedContentInput, signedContent } from './signed-content.js';
import { type CryptoKey, isCryptoKey, type RsaHashedKeyAlgorithm } from './web-crypto.js';

/** Signs bytes with a private key (WebCrypto). */
export function signBytes(content: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array> {
  return webSignatureCrypto.sign(content, privateKey);
}

/** Verifies a signature over bytes with a public key (WebCrypto). Resolves false for a wrong signature. */
export function verifyBytes(
  content: Uint8Array,
  signature: Uint8Array,
  publicKey: CryptoKey,
): Promise<boolean> {
  return webSignatureCrypto.verify(content, signature, publicKey);
}

export interface SignMessageInput extends Omit<SignedContentInput, 'time'> {
  /** `Request-Time` / `Response-Time` value exactly as it will be sent. */
  time: string;
  /** A WebCrypto key, or the key's text (PEM or one-line base64, PKCS#8 or PKCS#1), imported once. */
  privateKey: CryptoKey | string;
  keyVersion?: string | undefined;
  /** The RSA256 implementation; WebCrypto by default. */
  crypto?: SignatureCrypto;
}

/**
 * Signs a message and returns its `Signature` header value.
 *
 * @example
 * const signature = await signMessage({ path: '/notify', clientId, time: String(Date.now()), body, privateKey, keyVersion: '1' });
 */
export async function signMessage(input: SignMessageInput): Promise<string> {
  const key = typeof input.privateKey === 'string' ? await importedKey(input.privateKey) : input.privateKey;
  if (!isCryptoKey(key))
    throw new AuthNotifyError('KEY_INVALID', `privateKey is ${describeValue(key)}, not a key`, {
      hint: 'Pass the private key as PEM or base64 text, or as a CryptoKey from importPrivateKey().',
    });
  const bytes = await (input.crypto ?? webSignatureCrypto).sign(signedContent(input), key);
  return formatSignatureHeader({ signature: bytes, keyVersion: input.keyVersion });
}

/** Private keys given as text, imported once (the last few; a process signs with one or two keys). */
const imported = new Map<string, Promise<CryptoKey>>();

function importedKey(text: string): Promise<CryptoKey> {
  let key = imported.get(text);
  if (!key) {
    key = importPrivateKey(text);
    key.catch(() => imported.delete(text));
    if (imported.size >= 8) imported.delete(imported.keys().next().value as string);
    imported.set(text, key);
  }
  return key;
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value !== 'object') return `a ${typeof value}`;
  return `an object (${(value as object).constructor?.name ?? 'no prototype'})`;
}

/** Headers as Web `Headers` or a plain object (Node's `IncomingHttpHeaders` works). */
export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** Reads a header case-insensitively. Repeated headers are joined with `, ` as `Headers` does. */
export function readHeader(headers: HeadersLike, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | readonly string[] | undefined>;
  // Node's IncomingHttpHeaders have lowercase keys, a hand-made object usually the name as written: one
  // property read each instead of a scan of every header.
  const lower = name.toLowerCase();
  const direct = record[lower] ?? record[name];
  if (direct !== undefined) return typeof direct === 'string' ? direct : direct.join(', ');
  for (const [key, value] of Object.entries(record)) {
    if (key.toLowerCase() !== lower || value === undefined) continue;
    return typeof value === 'string' ? value : value.join(', ');
  }
  return undefined;
}

export type VerdictCode = Extract<
  ErrorCode,
  | 'HEADER_MISSING'
  | 'SIGNATURE_MISSING'
  | 'SIGNATURE_MALFORMED'
  | 'ALGORITHM_UNSUPPORTED'
  | 'KEY_VERSION_UNKNOWN'
  | 'CLIENT_ID_MISMATCH'
  | 'INVALID_SIGNATURE'
  | 'REQUEST_TIME_INVALID'
  | 'REQUEST_TIME_OUT_OF_WINDOW'
>;

export interface VerifiedMessage {
  ok: true;
  /** Which path's content verified: the configured canonical one, or the one the request arrived on. */
  matchedPath: 'canonical' | 'received';
  path: string;
  clientId: string;
  requestTime: string;
  keyVersion: string;
}

export interface RejectedMessage {
  ok: false;
  code: VerdictCode;
  message: string;
  /** The usual cause and what to check. */
  hint: string;
  /** The content(s) that were checked, for diagnostics. Empty when verification never got that far. */
  checked: { path: string; content: Uint8Array }[];
}

export type Verdict = VerifiedMessage | RejectedMessage;

export interface VerifyMessageInput {
  method?: string;
  /** Path and query the request arrived on. */
  receivedPath: string;
  headers: HeadersLike;
  body: Uint8Array;
}

export interface VerifyOptions {
  /** The merchant's (or wallet's) client id that `Client-Id` must equal. */
  clientId: string;
  keys: KeyRing;
  /** The notify URL's configured path (and query); tried before the received path. */
  canonicalPath?: string | undefined;
  /** Header carrying the time: `Request-Time` for requests, `Response-Time` for responses. */
  timeHeader?: 'Request-Time' | 'Response-Time';
  /**
   * Freshness window for the time header. On by default (25 h past, 5 min future); `false` turns it off
   * explicitly — only diagnostic tools should.
   */
  window?: TimeWindow | false;
  /** Epoch ms now; needed unless `window` is false. */
  now?: number;
  /** The RSA256 implementation; WebCrypto by default. */
  crypto?: SignatureCrypto;
}

const INVALID_HINT =
  'The usual causes: the body was re-serialized or re-encoded before verifying (verify the raw bytes); ' +
  'the wrong public key or keyVersion; the path was rewritten by a proxy (configure the canonical notify path); ' +
  'a `+` in the signature turned into a space; CRLF instead of LF.';

function reject(
  code: VerdictCode,
  message: string,
  hint: string,
  checked: RejectedMessage['checked'] = [],
): RejectedMessage {
  return { ok: false, code, message, hint, checked };
}

/**
 * Verifies a signed Alipay message against its raw bytes: required headers, `Client-Id`, the `Signature`
 * (canonical path first, then the received path), then the time window. Returns a verdict; never throws
 * for bad input.
 *
 * @example
 * const verdict = await verifyMessage(
 *   { receivedPath: '/alipay/notify', headers: request.headers, body: raw },
 *   { clientId: 'SANDBOX_5YEZ47', keys: alipayKeys, now: Date.now() },
 * );
 * if (!verdict.ok) console.warn(verdict.code, verdict.hint);
 */
export async function verifyMessage(input: VerifyMessageInput, options: VerifyOptions): Promise<Verdict> {
  const timeHeader = options.timeHeader ?? 'Request-Time';
  const clientId = readHeader(input.headers, 'Client-Id');
  const time = readHeader(input.headers, timeHeader);
  const signatureValue = readHeader(input.headers, 'Signature');
  if (signatureValue === undefined || signatureValue.trim() === '') {
    return reject(
      'SIGNATURE_MISSING',
      'the Signature header is missing',
      'Alipay signs every notification; an unsigned request is not from Alipay, or a proxy dropped the header.',
    );
  }
  if (clientId === undefined || clientId === '') {
    return reject(
      'HEADER_MISSING',
      'the Client-Id header is missing',
      'Alipay sends Client-Id with every message.',
    );
  }
  if (time === undefined || time === '') {
    return reject(
      'HEADER_MISSING',
      `the ${timeHeader} header is missing`,
      `Alipay sends ${timeHeader} with every message.`,
    );
  }
  if (clientId !== options.clientId) {
    return reject(
      'CLIENT_ID_MISMATCH',
      `Client-Id "${clientId.slice(0, 64)}" is not the configured client id`,
      'The message is for another merchant account, or the service is configured with the wrong client id (sandbox ids start with SANDBOX_).',
    );
  }
  let parsed: ReturnType<typeof parseSignatureHeader>;
  try {
    parsed = parseSignatureHeader(signatureValue);
  } catch (error) {
    const e = error as AuthNotifyError;
    return reject(
      e.code as VerdictCode,
      e.message,
      e.hint ?? 'The Signature header is not in the documented form.',
    );
  }
  const keyVersion = parsed.keyVersion ?? options.keys.defaultVersion;
  const key = options.keys.get(keyVersion);
  if (!key) {
    return reject(
      'KEY_VERSION_UNKNOWN',
      `no public key is configured for keyVersion ${keyVersion}`,
      `Configured versions: ${options.keys.versions.join(', ')}. Add the new Alipay public key under this version after a rotation.`,
    );
  }
  const canonical = options.canonicalPath;
  const paths =
    canonical === undefined || canonical === input.receivedPath
      ? [input.receivedPath]
      : [canonical, input.receivedPath];
  const method = input.method ?? 'POST';
  const body = input.body;
  const expectedLength = modulusBytes(key);
  if (parsed.signature.length !== expectedLength) {
    return reject(
      'INVALID_SIGNATURE',
      `the signature is ${parsed.signature.length} bytes; keyVersion ${keyVersion} expects ${expectedLength}`,
      'The signature value was truncated, or was made with a key of another size.',
      paths.map((path) => ({ path, content: signedContent({ method, path, clientId, time, body }) })),
    );
  }
  const primitive = options.crypto ?? webSignatureCrypto;
  // What was checked is kept only for a rejection's diagnostics: the usual success allocates nothing more.
  const checked: RejectedMessage['checked'] = [];
  let matched: { path: string; index: number } | undefined;
  for (let index = 0; index < paths.length; index++) {
    const path = paths[index] as string;
    const content = signedContent({ method, path, clientId, time, body });
    if (await primitive.verify(content, parsed.signature, key)) {
      matched = { path, index };
      break;
    }
    checked.push({ path, content });
  }
  if (!matched) {
    return reject(
      'INVALID_SIGNATURE',
      `the signature does not verify with keyVersion ${keyVersion} over path ${paths.join(' or ')}`,
      INVALID_HINT,
      checked,
    );
  }
  if (options.window !== false) {
    try {
      if (options.now === undefined)
        throw new AuthNotifyError('CONFIG_INVALID', 'verifyMessage needs `now` unless the window is off');
      checkTimeWindow(parseRequestTime(time), options.now, options.window ?? DEFAULT_TIME_WINDOW);
    } catch (error) {
      const e = error as AuthNotifyError;
      if (e.code === 'CONFIG_INVALID') throw e;
      return reject(e.code as VerdictCode, e.message, e.hint ?? '', [
        ...checked,
        { path: matched.path, content: signedContent({ method, path: matched.path, clientId, time, body }) },
      ]);
    }
  }
  const matchedPath = options.canonicalPath !== undefined && matched.index === 0 ? 'canonical' : 'received';
  return { ok: true, matchedPath, path: matched.path, clientId, requestTime: time, keyVersion };
}

const modulusCache = new WeakMap<CryptoKey, number>();

function modulusBytes(key: CryptoKey): number {
  let bytes = modulusCache.get(key);
  if (bytes === undefined) {
    bytes = (key.algorithm as RsaHashedKeyAlgorithm).modulusLength / 8;
    modulusCache.set(key, bytes);
  }
  return bytes;
}
