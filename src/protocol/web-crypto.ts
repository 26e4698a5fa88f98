/**
 * WebCrypto type names. Node 20's type definitions do not declare them globally, so they are aliased
 * here through a type-only import (erased at run time; the code only uses `globalThis.crypto`).
 */
import type { webcrypto } from 'node:crypto';

export type CryptoKey = webcrypto.CryptoKey;
export type RsaHashedKeyAlgorithm = webcrypto.RsaHashedKeyAlgorithm;

/** True for a WebCrypto key object. */
export function isCryptoKey(value: unknown): value is CryptoKey {
  const ctor = (globalThis as { CryptoKey?: abstract new () => unknown }).CryptoKey;
  return ctor !== undefined && value instanceof ctor;
}
