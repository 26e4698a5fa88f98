/**
 * Public keys by `keyVersion`, so Alipay can rotate keys without downtime (DESIGN.md §1.2).
 */
import { AuthNotifyError } from './errors.js';
import { importPublicKey } from './keys.js';
import { type CryptoKey, isCryptoKey } from './web-crypto.js';

export interface KeyRing {
  /** The key for a version, or for the default version when the header names none. */
  get(keyVersion: string | undefined): CryptoKey | undefined;
  readonly versions: readonly string[];
  readonly defaultVersion: string;
}

/** Key text or an imported key. */
export type KeyInput = string | CryptoKey;

/**
 * Builds a key ring from `{ version: key }`. With a single key, a header that names no version uses it;
 * with several, `defaultVersion` (else the highest version) is used.
 *
 * @example
 * const ring = await createKeyRing({ '1': oldAlipayKey, '2': newAlipayKey });
 */
export async function createKeyRing(
  keys: Readonly<Record<string, KeyInput>> | KeyInput,
  options: { defaultVersion?: string } = {},
): Promise<KeyRing> {
  const entries: [string, KeyInput][] =
    typeof keys === 'string' || isCryptoKey(keys) ? [['1', keys]] : Object.entries(keys);
  if (entries.length === 0) {
    throw new AuthNotifyError('CONFIG_INVALID', 'the key ring needs at least one public key');
  }
  const map = new Map<string, CryptoKey>();
  for (const [version, key] of entries) {
    if (!/^[0-9A-Za-z._-]{1,32}$/.test(version)) {
      throw new AuthNotifyError('CONFIG_INVALID', `"${version}" is not a valid keyVersion`);
    }
    map.set(version, typeof key === 'string' ? await importPublicKey(key) : key);
  }
  const versions = [...map.keys()].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  const defaultVersion = options.defaultVersion ?? (versions[versions.length - 1] as string);
  if (!map.has(defaultVersion)) {
    throw new AuthNotifyError('CONFIG_INVALID', `default keyVersion ${defaultVersion} is not in the ring`);
  }
  return {
    get: (keyVersion) => map.get(keyVersion ?? defaultVersion),
    versions,
    defaultVersion,
  };
}

/** A key ring as given, or one built from keys (the options of the receiver and the client take either). */
export async function toKeyRing(
  input: KeyRing | Readonly<Record<string, KeyInput>> | KeyInput,
): Promise<KeyRing> {
  const isRing = typeof input === 'object' && !isCryptoKey(input) && 'get' in input && 'versions' in input;
  return isRing ? (input as KeyRing) : createKeyRing(input as Readonly<Record<string, KeyInput>> | KeyInput);
}
