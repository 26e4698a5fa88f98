/**
 * Why a signature does not verify, cause by cause. The signature is opened with each configured public
 * key (the raw RSA public operation, then the PKCS#1 v1.5 padding check): a key whose padding checks out
 * made the signature, and the padding holds the SHA-256 of the bytes that were signed. Those bytes are then
 * looked for among the likely variants of the captured request — another path, line endings, a trailing
 * newline, a re-serialized body, another client id — by comparing hashes, so each cause is named alone.
 */
import { constants, createHash, createPublicKey, publicDecrypt } from 'node:crypto';
import type { KeyRing } from '../protocol/key-ring.js';
import { signedContent } from '../protocol/signed-content.js';
import type { CryptoKey } from '../protocol/web-crypto.js';

/** DigestInfo of SHA-256 (RFC 8017 §9.2), which precedes the hash in the padded block. */
const SHA256_DIGEST_INFO = Uint8Array.from([
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04,
  0x20,
]);

export type Opening =
  | { made: true; keyVersion: string; signedHash: string }
  | { made: false; keyVersion: string; why: 'not-this-key' | 'not-sha256' };

/** Opens the signature with one public key: did this key make it, and over which hash? */
async function open(signature: Uint8Array, key: CryptoKey, keyVersion: string): Promise<Opening> {
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', key));
  let block: Buffer;
  try {
    const keyObject = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    block = publicDecrypt({ key: keyObject, padding: constants.RSA_NO_PADDING }, signature);
  } catch {
    return { made: false, keyVersion, why: 'not-this-key' };
  }
  // 00 01 FF…FF 00 DigestInfo hash
  if (block[0] !== 0x00 || block[1] !== 0x01) return { made: false, keyVersion, why: 'not-this-key' };
  let i = 2;
  while (i < block.length && block[i] === 0xff) i++;
  if (i < 10 || block[i] !== 0x00) return { made: false, keyVersion, why: 'not-this-key' };
  const rest = block.subarray(i + 1);
  const info = rest.subarray(0, SHA256_DIGEST_INFO.length);
  if (
    rest.length !== SHA256_DIGEST_INFO.length + 32 ||
    !Buffer.from(info).equals(Buffer.from(SHA256_DIGEST_INFO))
  )
    return { made: false, keyVersion, why: 'not-sha256' };
  return {
    made: true,
    keyVersion,
    signedHash: Buffer.from(rest.subarray(SHA256_DIGEST_INFO.length)).toString('hex'),
  };
}

export interface Variant {
  /** What differs from the request as captured, in a phrase ("the body with CRLF line endings"). */
  change: string;
  /** What to fix, when this variant is the one that was signed. */
  fix: string;
  path: string;
  clientId: string;
  body: Uint8Array;
}

const text = new TextDecoder();
const utf8 = (s: string) => new TextEncoder().encode(s);

/** The likely ways a captured request differs from what was signed. */
export function variants(input: {
  path: string;
  clientId: string;
  headerClientId: string | undefined;
  body: Uint8Array;
}): Variant[] {
  const { path, clientId, body } = input;
  const out: Variant[] = [];
  const add = (change: string, fix: string, v: Partial<Pick<Variant, 'path' | 'clientId' | 'body'>>) =>
    out.push({ change, fix, path: v.path ?? path, clientId: v.clientId ?? clientId, body: v.body ?? body });
  const [bare, query] = path.split('?', 2) as [string, string | undefined];
  if (query !== undefined)
    add(
      `the path without its query (${bare})`,
      'Alipay signed the path without the query string: register the notify URL exactly as Alipay posts to it.',
      { path: bare },
    );
  else
    add(`the path with the query your URL may carry`, 'Verify over the path and query exactly as received.', {
      path: `${path}?`,
    });
  if (bare.endsWith('/'))
    add(
      `the path without its trailing slash`,
      'Verify over the path exactly as Alipay posts to it (no trailing slash).',
      { path: bare.slice(0, -1) },
    );
  else
    add(
      `the path with a trailing slash`,
      'Verify over the path exactly as Alipay posts to it (with the slash).',
      { path: `${bare}/` },
    );
  const segments = bare.split('/').filter(Boolean);
  for (let k = 1; k < segments.length; k++) {
    const shorter = `/${segments.slice(k).join('/')}`;
    add(
      `the path without the prefix /${segments.slice(0, k).join('/')} (${shorter})`,
      `A proxy adds /${segments.slice(0, k).join('/')} in front: verify over the path Alipay posted to (${shorter}), e.g. with --notify-path.`,
      { path: shorter },
    );
  }
  if (bare !== '/alipay/notify/authorization')
    add(
      'the default notify path /alipay/notify/authorization',
      'The notification was signed for /alipay/notify/authorization: check which notify URL is registered.',
      { path: '/alipay/notify/authorization' },
    );
  if (input.headerClientId && input.headerClientId !== clientId)
    add(
      `the Client-Id header's value (${input.headerClientId})`,
      'The request names another client id than the one given: check --client-id.',
      { clientId: input.headerClientId },
    );
  const raw = text.decode(body);
  if (raw.includes('\r\n'))
    add(
      'the body with LF line endings',
      'Line endings were changed between Alipay and the capture: store and verify the raw bytes.',
      { body: utf8(raw.replace(/\r\n/g, '\n')) },
    );
  else if (raw.includes('\n'))
    add(
      'the body with CRLF line endings',
      'Line endings were changed between Alipay and the capture: store and verify the raw bytes.',
      { body: utf8(raw.replace(/\n/g, '\r\n')) },
    );
  if (/\r?\n$/.test(raw))
    add(
      'the body without its trailing newline',
      'An editor or a tool added a newline at the end of the body: verify the bytes as received.',
      { body: utf8(raw.replace(/\r?\n$/, '')) },
    );
  else
    add(
      'the body with a trailing newline',
      'A newline at the end of the body was lost: verify the bytes as received.',
      { body: utf8(`${raw}\n`) },
    );
  try {
    const parsed: unknown = JSON.parse(raw);
    const compact = JSON.stringify(parsed);
    if (compact !== raw)
      add(
        'the body re-serialized as compact JSON',
        'The body was parsed and serialized again before verifying (express.json() or similar): verify the raw bytes.',
        { body: utf8(compact) },
      );
    const pretty = JSON.stringify(parsed, null, 2);
    if (pretty !== raw)
      add(
        'the body re-serialized as indented JSON',
        'The body was pretty-printed before verifying: verify the raw bytes.',
        { body: utf8(pretty) },
      );
  } catch {
    // not JSON: no re-serialized variants
  }
  return out;
}

export interface Diagnosis {
  /** Each configured key opened: which one made the signature, if any. */
  openings: Opening[];
  /** The variant whose bytes were signed (when a key made the signature and a variant matches). */
  match: Variant | undefined;
  /** A key made the signature but none of the variants is what it signed. */
  unknownContent: boolean;
}

/**
 * @example
 * const d = await diagnose({ signature, ring, method: 'POST', path, clientId, headerClientId, time, body });
 */
export async function diagnose(input: {
  signature: Uint8Array;
  ring: KeyRing;
  path: string;
  clientId: string;
  headerClientId: string | undefined;
  time: string;
  body: Uint8Array;
}): Promise<Diagnosis> {
  const openings: Opening[] = [];
  for (const version of input.ring.versions) {
    const key = input.ring.get(version);
    if (key) openings.push(await open(input.signature, key, version));
  }
  const made = openings.find((o): o is Extract<Opening, { made: true }> => o.made);
  if (!made) return { openings, match: undefined, unknownContent: false };
  const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  for (const v of variants(input)) {
    const content = signedContent({ path: v.path, clientId: v.clientId, time: input.time, body: v.body });
    if (sha(content) === made.signedHash) return { openings, match: v, unknownContent: false };
  }
  return { openings, match: undefined, unknownContent: true };
}
