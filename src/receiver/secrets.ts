/**
 * Keys derived from the one secret a deployment configures (`AUTHNOTIFY_SECRET_KEY`, ≥ 32 bytes):
 * an HMAC key for token lookups and an AES-256-GCM key for sealing data at rest (raw notification bodies
 * carry the access token). HKDF-SHA256 keeps the two independent. Web-standard crypto only.
 */
import { decodeBase64Strict, toHex, utf8 } from '../protocol/bytes.js';
import { AuthNotifyError } from '../protocol/errors.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import type { Store } from '../store/types.js';

export interface Secrets {
  /** Keyed hash (hex) of a token, for lookups without storing the token. */
  tokenHash(token: string): Promise<string>;
  /** AES-256-GCM: 12-byte random IV followed by ciphertext and tag, with a version byte in front. */
  seal(plaintext: Uint8Array): Promise<Uint8Array>;
  open(sealed: Uint8Array): Promise<Uint8Array>;
}

/** First byte of every sealed value; then a 12-byte IV, the ciphertext and the 16-byte GCM tag. */
export const SEAL_VERSION = 1;

/** Lays out a sealed value: version byte, 12-byte IV, ciphertext with its 16-byte tag. */
export function packSealed(iv: Uint8Array, ciphertextAndTag: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + iv.length + ciphertextAndTag.length);
  out[0] = SEAL_VERSION;
  out.set(iv, 1);
  out.set(ciphertextAndTag, 1 + iv.length);
  return out;
}

/** Throws unless `sealed` has the shape of a sealed value this version reads. */
export function checkSealed(sealed: Uint8Array): void {
  if (sealed[0] !== SEAL_VERSION || sealed.length < 13 + 16) {
    throw new AuthNotifyError('INTERNAL_ERROR', 'stored data is not in a sealed format this version reads');
  }
}

/** The error for data that does not decrypt: almost always a different secret key. */
export function wrongSecret(cause: unknown): AuthNotifyError {
  return new AuthNotifyError(
    'CONFIG_INVALID',
    'stored data cannot be decrypted with the configured secret key',
    {
      cause,
      hint: 'AUTHNOTIFY_SECRET_KEY differs from the one the data was written with.',
    },
  );
}

/**
 * Reads a secret given as base64 (≥ 32 bytes decoded), 64 hex characters, or raw bytes.
 *
 * @example
 * const secrets = await createSecrets(process.env.AUTHNOTIFY_SECRET_KEY ?? '');
 */
export function parseSecret(secret: string | Uint8Array): Uint8Array {
  if (secret instanceof Uint8Array) {
    if (secret.length < 32) throw weak(secret.length);
    return secret;
  }
  const text = secret.trim();
  if (/^[0-9a-fA-F]{64,}$/.test(text) && text.length % 2 === 0) {
    return Uint8Array.from(text.match(/../g) as string[], (h) => Number.parseInt(h, 16));
  }
  const decoded = decodeBase64Strict(text);
  if ('bytes' in decoded && decoded.bytes.length >= 32) return decoded.bytes;
  if ('bytes' in decoded) throw weak(decoded.bytes.length);
  throw new AuthNotifyError('CONFIG_INVALID', 'the secret key is neither base64 nor hex', {
    hint: 'Generate one with `openssl rand -base64 32` and set AUTHNOTIFY_SECRET_KEY.',
  });
}

function weak(length: number): AuthNotifyError {
  return new AuthNotifyError(
    'CONFIG_INVALID',
    `the secret key is ${length} bytes; at least 32 are required`,
    {
      hint: 'Generate one with `openssl rand -base64 32` and set AUTHNOTIFY_SECRET_KEY.',
    },
  );
}

async function derive(
  master: CryptoKey,
  info: string,
  algorithm: HmacImportParams | AesKeyGenParams,
  usages: KeyUsage[],
): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(32), info: utf8(info) as Uint8Array<ArrayBuffer> },
    master,
    algorithm,
    false,
    usages,
  );
}

type HmacImportParams = { name: 'HMAC'; hash: 'SHA-256'; length: number };
type AesKeyGenParams = { name: 'AES-GCM'; length: 256 };
type KeyUsage = 'sign' | 'verify' | 'encrypt' | 'decrypt';

export async function createSecrets(secret: string | Uint8Array): Promise<Secrets> {
  const raw = parseSecret(secret);
  const master = await crypto.subtle.importKey('raw', raw as Uint8Array<ArrayBuffer>, 'HKDF', false, [
    'deriveKey',
  ]);
  const hmac = await derive(
    master,
    'authnotify/token-hash/v1',
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    ['sign'],
  );
  const aes = await derive(master, 'authnotify/seal/v1', { name: 'AES-GCM', length: 256 }, [
    'encrypt',
    'decrypt',
  ]);
  return {
    async tokenHash(token) {
      return toHex(
        new Uint8Array(await crypto.subtle.sign('HMAC', hmac, utf8(token) as Uint8Array<ArrayBuffer>)),
      );
    },
    async seal(plaintext) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ciphertext = new Uint8Array(
        await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, aes, plaintext as Uint8Array<ArrayBuffer>),
      );
      return packSealed(iv, ciphertext);
    },
    async open(sealed) {
      checkSealed(sealed);
      try {
        return new Uint8Array(
          await crypto.subtle.decrypt(
            { name: 'AES-GCM', iv: sealed.subarray(1, 13) },
            aes,
            sealed.subarray(13) as Uint8Array<ArrayBuffer>,
          ),
        );
      } catch (error) {
        throw wrongSecret(error);
      }
    },
  };
}

/** The store setting that holds the secret key check. */
export const SECRET_KEY_CHECK = 'secret_key_check';

/**
 * A keyed hash of a constant under a key derived from `secret` (HKDF, its own info string): tells whether a
 * secret key is the one a database was first used with, and reveals nothing else about it.
 * @example await secretKeyCheck(process.env.AUTHNOTIFY_SECRET_KEY ?? '') // 'v1:3f0c…'
 */
export async function secretKeyCheck(secret: string | Uint8Array): Promise<string> {
  const master = await crypto.subtle.importKey(
    'raw',
    parseSecret(secret) as Uint8Array<ArrayBuffer>,
    'HKDF',
    false,
    ['deriveKey'],
  );
  const key = await derive(
    master,
    'authnotify/key-check/v1',
    { name: 'HMAC', hash: 'SHA-256', length: 256 },
    ['sign'],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, utf8('authnotify secret key check') as Uint8Array<ArrayBuffer>),
  );
  return `v1:${toHex(mac)}`;
}

/**
 * Binds a store to a secret key on first use (stores its check) and refuses, with CONFIG_INVALID, a key
 * other than the one the store was first used with. `from` names where the key was configured.
 * @example await bindSecretKey(store, secretKey, Date.now(), 'AUTHNOTIFY_SECRET_KEY');
 */
export async function bindSecretKey(
  store: Pick<Store, 'claimSetting'>,
  secret: string | Uint8Array,
  now: number,
  from = 'the secret key',
): Promise<void> {
  const check = await secretKeyCheck(secret);
  const stored = await store.claimSetting(SECRET_KEY_CHECK, check, now);
  if (stored !== check) {
    throw new AuthNotifyError(
      'CONFIG_INVALID',
      `${from}: this is not the secret key the database was first used with`,
      {
        hint: 'Configure the original key (its sealed bodies and token hashes need it). A new key cannot read the data already stored.',
      },
    );
  }
}
