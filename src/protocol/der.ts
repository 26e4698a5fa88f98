/**
 * Just enough DER to tell key formats apart and convert PKCS#1 RSA keys to the SPKI / PKCS#8 wrappers
 * WebCrypto imports. Not a general ASN.1 library.
 */

export interface DerNode {
  tag: number;
  /** Offset of the content within the source bytes. */
  start: number;
  end: number;
  bytes: Uint8Array;
}

export class DerError extends Error {}

function readNode(bytes: Uint8Array, offset: number): DerNode {
  const tag = bytes[offset];
  if (tag === undefined) throw new DerError('unexpected end of data');
  let pos = offset + 1;
  const first = bytes[pos++];
  if (first === undefined) throw new DerError('unexpected end of data');
  let length = first;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw new DerError('unsupported length encoding');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = bytes[pos++];
      if (b === undefined) throw new DerError('unexpected end of data');
      length = length * 256 + b;
    }
  }
  const end = pos + length;
  if (end > bytes.length) throw new DerError('length runs past the end of the data (truncated?)');
  return { tag, start: pos, end, bytes };
}

/** Reads the single top-level node and requires that it spans all the bytes. */
export function readDer(bytes: Uint8Array): DerNode {
  const node = readNode(bytes, 0);
  if (node.end !== bytes.length) throw new DerError('trailing bytes after the key structure');
  return node;
}

/** The child nodes of a constructed node (SEQUENCE and friends). */
export function children(node: DerNode): DerNode[] {
  const out: DerNode[] = [];
  let pos = node.start;
  while (pos < node.end) {
    const child = readNode(node.bytes, pos);
    if (child.end > node.end) throw new DerError('child runs past its parent');
    out.push(child);
    pos = child.end;
  }
  return out;
}

export function content(node: DerNode): Uint8Array {
  return node.bytes.subarray(node.start, node.end);
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
};

/** Dotted form of an OBJECT IDENTIFIER's content. */
export function oidToString(value: Uint8Array): string {
  const first = value[0] ?? 0;
  const parts = [Math.floor(first / 40), first % 40];
  let acc = 0;
  for (let i = 1; i < value.length; i++) {
    const b = value[i] as number;
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

/** Bit length of an unsigned big-endian INTEGER content (leading zero octets ignored). */
export function integerBitLength(value: Uint8Array): number {
  let i = 0;
  while (i < value.length && value[i] === 0) i++;
  if (i === value.length) return 0;
  return (value.length - i - 1) * 8 + (32 - Math.clz32(value[i] as number));
}

function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const out: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) out.unshift(n & 0xff);
  return Uint8Array.of(0x80 | out.length, ...out);
}

export function encode(tag: number, body: Uint8Array): Uint8Array {
  const length = encodeLength(body.length);
  const out = new Uint8Array(1 + length.length + body.length);
  out[0] = tag;
  out.set(length, 1);
  out.set(body, 1 + length.length);
  return out;
}

function joined(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1';
// AlgorithmIdentifier { rsaEncryption, NULL }
const RSA_ALGORITHM_ID = Uint8Array.of(
  0x30,
  0x0d,
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x01,
  0x05,
  0x00,
);

/** Wraps a PKCS#1 RSAPublicKey in an X.509 SubjectPublicKeyInfo. */
export function pkcs1PublicToSpki(pkcs1: Uint8Array): Uint8Array {
  return encode(
    TAG.SEQUENCE,
    joined([RSA_ALGORITHM_ID, encode(TAG.BIT_STRING, joined([Uint8Array.of(0), pkcs1]))]),
  );
}

/** Wraps a PKCS#1 RSAPrivateKey in a PKCS#8 PrivateKeyInfo. */
export function pkcs1PrivateToPkcs8(pkcs1: Uint8Array): Uint8Array {
  return encode(
    TAG.SEQUENCE,
    joined([encode(TAG.INTEGER, Uint8Array.of(0)), RSA_ALGORITHM_ID, encode(TAG.OCTET_STRING, pkcs1)]),
  );
}

/** Unwraps the PKCS#1 RSAPrivateKey inside a PKCS#8 PrivateKeyInfo. */
export function pkcs8ToPkcs1Private(pkcs8: Uint8Array): Uint8Array {
  const parts = children(readDer(pkcs8));
  const octets = parts[2];
  if (!octets || octets.tag !== TAG.OCTET_STRING) throw new DerError('not a PKCS#8 key');
  return content(octets).slice();
}

/** Unwraps the PKCS#1 RSAPublicKey inside an SPKI. */
export function spkiToPkcs1Public(spki: Uint8Array): Uint8Array {
  const parts = children(readDer(spki));
  const bits = parts[1];
  if (!bits || bits.tag !== TAG.BIT_STRING) throw new DerError('not an SPKI key');
  return content(bits).slice(1);
}
