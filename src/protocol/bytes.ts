/**
 * Byte helpers on Web-standard APIs only (no Buffer), so the protocol core runs on any runtime.
 */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 with padding. */
export function toBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += B64[n >> 18] + (B64[(n >> 12) & 63] as string) + B64[(n >> 6) & 63] + B64[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = (bytes[i] as number) << 16;
    out += `${B64[n >> 18]}${B64[(n >> 12) & 63]}==`;
  } else if (rest === 2) {
    const n = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8);
    out += `${B64[n >> 18]}${B64[(n >> 12) & 63]}${B64[(n >> 6) & 63]}=`;
  }
  return out;
}

/** Why a base64 string was refused, or null when it decodes. */
export type Base64Problem = 'empty' | 'bad-character' | 'space' | 'bad-length' | 'bad-padding';

/**
 * Strict standard base64 decoding: the alphabet `A-Z a-z 0-9 + /`, padding required to a multiple of 4,
 * no whitespace inside. Returns the problem instead of guessing, so callers can explain it.
 */
export function decodeBase64Strict(text: string): { bytes: Uint8Array } | { problem: Base64Problem } {
  if (text.length === 0) return { problem: 'empty' };
  // The usual case (a well-formed value): checked by one regular expression, decoded four characters at
  // a time. Anything else goes the careful way below, which says what is wrong.
  if (text.length % 4 === 0 && WELL_FORMED.test(text)) {
    const fast = decodeQuads(text);
    if (fast) return { bytes: fast };
  }
  if (text.length % 4 !== 0) {
    return { problem: text.includes(' ') ? 'space' : 'bad-length' };
  }
  let pad = 0;
  if (text.endsWith('==')) pad = 2;
  else if (text.endsWith('=')) pad = 1;
  const body = text.length - pad;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < body; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? (B64_INDEX[c] as number) : -1;
    if (v < 0) return { problem: c === 32 ? 'space' : c === 61 ? 'bad-padding' : 'bad-character' };
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, otherwise two different strings would decode to the same bytes.
  if ((acc & ((1 << bits) - 1)) !== 0) return { problem: 'bad-padding' };
  return { bytes: out };
}

const WELL_FORMED = /^[A-Za-z0-9+/]*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes well-formed base64 (checked by WELL_FORMED); null when padding leaves non-zero bits. */
function decodeQuads(text: string): Uint8Array | null {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const full = text.length - (pad > 0 ? 4 : 0);
  let o = 0;
  for (let i = 0; i < full; i += 4) {
    const n =
      ((B64_INDEX[text.charCodeAt(i)] as number) << 18) |
      ((B64_INDEX[text.charCodeAt(i + 1)] as number) << 12) |
      ((B64_INDEX[text.charCodeAt(i + 2)] as number) << 6) |
      (B64_INDEX[text.charCodeAt(i + 3)] as number);
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  if (pad === 0) return out;
  const a = B64_INDEX[text.charCodeAt(full)] as number;
  const b = B64_INDEX[text.charCodeAt(full + 1)] as number;
  if (pad === 2) {
    if ((b & 15) !== 0) return null; // bits past the last byte must be zero
    out[o] = (a << 2) | (b >> 4);
    return out;
  }
  const c = B64_INDEX[text.charCodeAt(full + 2)] as number;
  if ((c & 3) !== 0) return null;
  out[o++] = (a << 2) | (b >> 4);
  out[o] = ((b & 15) << 4) | (c >> 2);
  return out;
}

const SLAB_BYTES = 16 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

/**
 * Room for a few hundred bytes of public data (signatures), carved from a shared 16 KiB slab: a typed
 * array of its own costs an off-heap allocation (some 0.7 µs, a sixth of a verify's overhead). Slab
 * space is never reused, so views never overlap; only public bytes go here, since a view's `buffer`
 * is the whole slab.
 */
function publicBytes(length: number): Uint8Array {
  if (length > SLAB_BYTES / 16) return new Uint8Array(length);
  if (slabUsed + length > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, length);
  slabUsed += (length + 7) & ~7;
  return out;
}

/** The character `%2B`, `%2F` or `%3D` (either case) stands for, given the two after `%`; -1 otherwise. */
function escapedDigit(hi: number, low: number): number {
  const lo = low | 32; // lower case
  return hi === 50 && lo === 98 ? 43 : hi === 50 && lo === 102 ? 47 : hi === 51 && lo === 100 ? 61 : -1;
}

/**
 * A signature value as Alipay writes it: base64 with `+`, `/` and `=` percent-encoded (`%2B`, `%2F`,
 * `%3D`, either case), decoded in one pass to its bytes. Null for anything else (other escapes, bad
 * base64, non-zero padding bits): callers then go the careful way, which says what is wrong.
 */
export function decodePercentBase64(text: string, start = 0): Uint8Array | null {
  const out = publicBytes(Math.floor(((text.length - start) * 3) / 4));
  let o = 0;
  let i = start;
  const end = text.length;
  // Whole groups of four digits (escapes resolved), three bytes at a time. The group with padding, or
  // with anything that is not a digit, is read again by the careful loop below, which decides.
  while (i < end) {
    const group = i;
    let n = 0;
    let k = 0;
    for (; k < 4 && i < end; k++) {
      let c = text.charCodeAt(i++);
      if (c === 37 /* % */) {
        c = escapedDigit(text.charCodeAt(i), text.charCodeAt(i + 1));
        i += 2;
      }
      const v = c > 0 && c < 128 ? (B64_INDEX[c] as number) : -1;
      if (v < 0) break;
      n = (n << 6) | v;
    }
    if (k < 4) {
      i = group;
      break;
    }
    out[o++] = n >> 16;
    out[o++] = (n >> 8) & 0xff;
    out[o++] = n & 0xff;
  }
  let acc = 0;
  let bits = 0;
  let pad = 0;
  for (; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c === 37 /* % */) {
      c = escapedDigit(text.charCodeAt(i + 1), text.charCodeAt(i + 2));
      if (c < 0) return null;
      i += 2;
    }
    if (c === 61 /* = */) {
      pad++;
      continue;
    }
    const v = pad > 0 || c >= 128 ? -1 : (B64_INDEX[c] as number);
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  const chars = (o * 8 + bits) / 6 + pad;
  if (pad > 2 || chars % 4 !== 0 || (acc & ((1 << bits) - 1)) !== 0) return null;
  return out.subarray(0, o);
}

/**
 * Percent-decoding only (RFC 3986): `%XX` becomes a byte; every other character, `+` included, stays
 * itself. This is deliberately not form decoding, which would turn a base64 `+` into a space.
 * Returns null when a `%` is not followed by two hex digits or the result is not UTF-8.
 */
export function percentDecode(text: string): string | null {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return null;
  }
}

/** Percent-encodes the three characters of base64 that are not URL-safe, as Alipay does. */
export function percentEncodeBase64(b64: string): string {
  return b64.replace(/[+/=]/g, (c) => (c === '+' ? '%2B' : c === '/' ? '%2F' : '%3D'));
}

/** Constant-time equality of two strings (lengths may leak). */
export function timingSafeEqualString(a: string, b: string): boolean {
  const x = utf8(a);
  const y = utf8(b);
  let diff = x.length ^ y.length;
  const n = Math.max(x.length, y.length);
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Decodes standard base64 produced by `toBase64`; throws on malformed input. */
export function fromBase64(text: string): Uint8Array {
  const decoded = decodeBase64Strict(text);
  if ('problem' in decoded) throw new Error(`stored value is not base64 (${decoded.problem})`);
  return decoded.bytes;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, '0'));

/**
 * Lowercase hex of some bytes.
 *
 * @example
 * toHex(Uint8Array.of(0, 255)); // '00ff'
 */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const b of bytes) hex += HEX[b] as string;
  return hex;
}

/** SHA-256 of some bytes as hex (WebCrypto). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>)));
}
