/**
 * RSA key loading for the formats Alipay and its SDKs hand out (DESIGN.md §1.2): one-line base64 DER
 * without PEM armour — X.509 SPKI for public keys, PKCS#8 or PKCS#1 for private keys — or PEM of any of these.
 * Keys become WebCrypto `CryptoKey`s once, so each verify reuses the parsed key.
 */
import { decodeBase64Strict, toBase64 } from './bytes.js';
import {
  children,
  content,
  DerError,
  type DerNode,
  integerBitLength,
  oidToString,
  pkcs1PrivateToPkcs8,
  pkcs1PublicToSpki,
  pkcs8ToPkcs1Private,
  RSA_ENCRYPTION_OID,
  readDer,
  TAG,
} from './der.js';
import { AuthNotifyError } from './errors.js';
import type { CryptoKey } from './web-crypto.js';

export const RSA_ALGORITHM = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;
export const MIN_RSA_BITS = 2048;

export type KeyFormat = 'spki' | 'pkcs1-public' | 'pkcs8' | 'pkcs1-private';

export interface KeyInfo {
  kind: 'public' | 'private';
  format: KeyFormat;
  /** Modulus size in bits. */
  bits: number;
  /** The DER bytes as given (before any re-wrapping). */
  der: Uint8Array;
}

const OID_NAMES: Record<string, string> = {
  '1.2.840.10045.2.1': 'an EC key',
  '1.3.101.112': 'an Ed25519 key',
  '1.3.101.113': 'an Ed448 key',
  '1.2.840.10040.4.1': 'a DSA key',
  '1.2.840.113549.1.1.10': 'an RSA-PSS key',
};

function keyError(message: string, hint?: string, cause?: unknown): AuthNotifyError {
  return new AuthNotifyError('KEY_INVALID', message, {
    ...(hint === undefined ? {} : { hint }),
    ...(cause === undefined ? {} : { cause }),
  });
}

/** Turns PEM or bare base64 text into DER bytes, remembering the PEM label if there was one. */
export function decodeKeyText(text: string): { der: Uint8Array; label: string | undefined } {
  const trimmed = text.trim();
  if (trimmed.length === 0)
    throw keyError('the key is empty', 'Pass the key text, a file path or an env var.');
  let label: string | undefined;
  let body = trimmed;
  const pem = /^-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----$/.exec(trimmed);
  if (pem) {
    label = pem[1];
    body = pem[2] ?? '';
    if (label === 'ENCRYPTED PRIVATE KEY' || /Proc-Type:\s*4,ENCRYPTED/.test(body)) {
      throw keyError(
        'the private key is encrypted with a passphrase',
        'Decrypt it first, e.g. `openssl pkcs8 -in key.pem -nocrypt -topk8 -out plain.pem`.',
      );
    }
    if (label === 'CERTIFICATE') {
      throw keyError('this is a certificate, not a key', 'Give the public key (SPKI) itself.');
    }
  } else if (trimmed.startsWith('-----BEGIN')) {
    throw keyError('the PEM armour is incomplete (no matching END line)', 'Copy the whole key, both lines.');
  }
  if (!pem) {
    // Say which form this is when it is not a key's text at all (the CLI reads these; the library does not).
    if (/^env:/i.test(trimmed))
      throw keyError(
        `"${trimmed.slice(0, 40)}" names an environment variable, not a key`,
        'The library takes the key text: pass the variable\'s value, or readKeySource("env:NAME") from authnotify/node.',
      );
    if (/^(\.{0,2}\/|~\/|[A-Za-z]:\\)|\.(pem|key|txt|der|crt)$/i.test(trimmed))
      throw keyError(
        `"${trimmed.slice(0, 60)}" looks like a file path, not a key`,
        'The library takes the key text: read the file first (readFileSync), or use readKeySource(path) from authnotify/node.',
      );
  }
  const compact = body.replace(/\s+/g, '');
  const decoded = decodeBase64Strict(compact);
  if ('problem' in decoded) {
    throw keyError(
      `the key is not valid base64 (${decoded.problem})`,
      'The value is probably truncated or was copied with extra characters; copy it again in full.',
    );
  }
  return { der: decoded.bytes, label };
}

/** Identifies the key structure inside DER bytes. Throws KEY_INVALID for anything not an RSA key. */
export function identifyKey(der: Uint8Array): KeyInfo {
  try {
    const top = readDer(der);
    if (top.tag !== TAG.SEQUENCE) throw new DerError('not a SEQUENCE');
    const parts = children(top);
    const [a, b, c] = parts;
    // SPKI: SEQ { SEQ { OID, params }, BIT STRING }
    if (parts.length === 2 && a?.tag === TAG.SEQUENCE && b?.tag === TAG.BIT_STRING) {
      requireRsa(a);
      const pkcs1 = content(b).subarray(1);
      return { kind: 'public', format: 'spki', bits: rsaModulusBits(pkcs1), der };
    }
    // PKCS#1 public: SEQ { INTEGER n, INTEGER e }
    if (parts.length === 2 && a?.tag === TAG.INTEGER && b?.tag === TAG.INTEGER) {
      return { kind: 'public', format: 'pkcs1-public', bits: integerBitLength(content(a)), der };
    }
    // PKCS#8: SEQ { INTEGER 0, SEQ { OID, params }, OCTET STRING, ... }
    if (a?.tag === TAG.INTEGER && b?.tag === TAG.SEQUENCE && c?.tag === TAG.OCTET_STRING) {
      requireRsa(b);
      const inner = children(readDer(content(c)));
      const modulus = inner[1];
      if (!modulus || modulus.tag !== TAG.INTEGER)
        throw new DerError('PKCS#8 does not hold an RSA private key');
      return { kind: 'private', format: 'pkcs8', bits: integerBitLength(content(modulus)), der };
    }
    // PKCS#1 private: SEQ { INTEGER version, INTEGER n, INTEGER e, INTEGER d, ... } (9 integers)
    if (parts.length >= 9 && parts.every((p) => p.tag === TAG.INTEGER)) {
      return {
        kind: 'private',
        format: 'pkcs1-private',
        bits: integerBitLength(content(parts[1] as DerNode)),
        der,
      };
    }
    throw new DerError('unrecognised key structure');
  } catch (error) {
    if (error instanceof AuthNotifyError) throw error;
    const reason = error instanceof Error ? error.message : String(error);
    throw keyError(
      `the key could not be read: ${reason}`,
      'Expected an RSA key as PEM or one-line base64 DER (SPKI, PKCS#8 or PKCS#1); a truncated copy is the usual cause.',
      error,
    );
  }
}

function requireRsa(algorithmId: DerNode): void {
  const oid = children(algorithmId)[0];
  if (!oid || oid.tag !== TAG.OID) throw new DerError('missing algorithm identifier');
  const dotted = oidToString(content(oid));
  if (dotted !== RSA_ENCRYPTION_OID) {
    throw keyError(
      `this is ${OID_NAMES[dotted] ?? `a key of algorithm ${dotted}`}, not an RSA key`,
      'Alipay signs with RSA-2048 (RSA256); generate one with `authnotify keys generate`.',
    );
  }
}

function rsaModulusBits(pkcs1Public: Uint8Array): number {
  const modulus = children(readDer(pkcs1Public))[0];
  if (!modulus || modulus.tag !== TAG.INTEGER) throw new DerError('RSA public key without modulus');
  return integerBitLength(content(modulus));
}

function checkStrength(info: KeyInfo): void {
  if (info.bits < MIN_RSA_BITS) {
    throw keyError(
      `the RSA key is ${info.bits} bits; at least ${MIN_RSA_BITS} are required`,
      'Alipay uses 2048-bit keys; generate a new pair with `authnotify keys generate`.',
    );
  }
}

function labelMismatch(label: string | undefined, info: KeyInfo): boolean {
  if (label === undefined) return false;
  const expected: Record<KeyFormat, string> = {
    spki: 'PUBLIC KEY',
    'pkcs1-public': 'RSA PUBLIC KEY',
    pkcs8: 'PRIVATE KEY',
    'pkcs1-private': 'RSA PRIVATE KEY',
  };
  return expected[info.format] !== label;
}

function inspect(text: string): KeyInfo {
  const { der, label } = decodeKeyText(text);
  const info = identifyKey(der);
  if (labelMismatch(label, info)) {
    throw keyError(`the PEM label "${label}" does not match the key inside (${info.format})`);
  }
  return info;
}

/** Describes a key without importing it: its kind, format and size. Throws KEY_INVALID. */
export function describeKey(text: string): KeyInfo {
  return inspect(text);
}

/**
 * Imports an RSA public key (the Alipay public key, or the merchant's for the sandbox) for verifying.
 *
 * @example
 * const alipayKey = await importPublicKey(process.env.ALIPAY_PUBLIC_KEY ?? '');
 */
export async function importPublicKey(text: string): Promise<CryptoKey> {
  const info = inspect(text);
  if (info.kind === 'private') {
    throw keyError(
      'expected a public key but this is a private key',
      'Give the Alipay public key here (Antom Dashboard > Developer > Key configuration); never share your private key.',
    );
  }
  checkStrength(info);
  const spki = info.format === 'spki' ? info.der : pkcs1PublicToSpki(info.der);
  try {
    return await crypto.subtle.importKey('spki', spki as Uint8Array<ArrayBuffer>, RSA_ALGORITHM, true, [
      'verify',
    ]);
  } catch (error) {
    throw keyError('the public key was rejected by the crypto library', undefined, error);
  }
}

/**
 * Imports an RSA private key (PKCS#8 or PKCS#1, PEM or one-line base64) for signing.
 *
 * @example
 * const merchantKey = await importPrivateKey(readFileSync('merchant-private.pem', 'utf8'));
 */
export async function importPrivateKey(text: string): Promise<CryptoKey> {
  const info = inspect(text);
  if (info.kind === 'public') {
    throw keyError(
      'expected a private key but this is a public key',
      'Signing needs your merchant private key (PKCS#8 or PKCS#1); the public half is what you upload to Alipay.',
    );
  }
  checkStrength(info);
  const pkcs8 = info.format === 'pkcs8' ? info.der : pkcs1PrivateToPkcs8(info.der);
  try {
    return await crypto.subtle.importKey('pkcs8', pkcs8 as Uint8Array<ArrayBuffer>, RSA_ALGORITHM, true, [
      'sign',
    ]);
  } catch (error) {
    throw keyError('the private key was rejected by the crypto library', undefined, error);
  }
}

/** The public half of a private key, as a verify key. */
export async function publicKeyFromPrivate(privateKey: CryptoKey): Promise<CryptoKey> {
  const jwk = await crypto.subtle.exportKey('jwk', privateKey);
  if (jwk.n === undefined || jwk.e === undefined) throw keyError('the private key has no RSA modulus');
  return crypto.subtle.importKey('jwk', { kty: 'RSA', n: jwk.n, e: jwk.e, ext: true }, RSA_ALGORITHM, true, [
    'verify',
  ]);
}

/** SPKI DER of a public CryptoKey. */
export async function exportSpki(publicKey: CryptoKey): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
}

/** Wraps DER bytes in PEM armour with 64-character lines. */
export function toPem(
  der: Uint8Array,
  label: 'PUBLIC KEY' | 'PRIVATE KEY' | 'RSA PRIVATE KEY' | 'RSA PUBLIC KEY',
): string {
  const b64 = toBase64(der);
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export interface GeneratedKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** PKCS#8 PrivateKeyInfo DER. */
  pkcs8: Uint8Array;
  /** PKCS#1 RSAPrivateKey DER (PHP and Python tooling). */
  pkcs1: Uint8Array;
  /** X.509 SubjectPublicKeyInfo DER (what Alipay's dashboard shows and takes). */
  spki: Uint8Array;
}

/**
 * Generates an RSA-2048 key pair for RSA256 signing, with its DER encodings.
 *
 * @example
 * const pair = await generateRsaKeyPair();
 * console.log(toBase64(pair.spki)); // upload this to the Alipay dashboard
 */
export async function generateRsaKeyPair(): Promise<GeneratedKeyPair> {
  const pair = await crypto.subtle.generateKey(
    { ...RSA_ALGORITHM, modulusLength: MIN_RSA_BITS, publicExponent: Uint8Array.of(1, 0, 1) },
    true,
    ['sign', 'verify'],
  );
  const pkcs8 = new Uint8Array(await crypto.subtle.exportKey('pkcs8', pair.privateKey));
  const spki = new Uint8Array(await crypto.subtle.exportKey('spki', pair.publicKey));
  return {
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    pkcs8,
    pkcs1: pkcs8ToPkcs1Private(pkcs8),
    spki,
  };
}
