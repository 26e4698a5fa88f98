/**
 * The RSA256 primitive as a port: WebCrypto is the portable default (Node, Bun, Deno, edge); Node
 * deployments can plug in `nodeSignatureCrypto` (authnotify/node), which skips WebCrypto's per-call
 * algorithm normalization and is measurably faster there (see bench/verify.ts).
 */
import { RSA_ALGORITHM } from './keys.js';
import type { CryptoKey } from './web-crypto.js';

export interface SignatureCrypto {
  readonly name: string;
  sign(content: Uint8Array, privateKey: CryptoKey): Promise<Uint8Array>;
  /** Resolves false for a signature that does not verify; rejects only for a broken key. */
  verify(content: Uint8Array, signature: Uint8Array, publicKey: CryptoKey): Promise<boolean>;
}

export const webSignatureCrypto: SignatureCrypto = {
  name: 'webcrypto',
  async sign(content, privateKey) {
    return new Uint8Array(
      await crypto.subtle.sign(RSA_ALGORITHM, privateKey, content as Uint8Array<ArrayBuffer>),
    );
  },
  verify(content, signature, publicKey) {
    return crypto.subtle.verify(
      RSA_ALGORITHM,
      publicKey,
      signature as Uint8Array<ArrayBuffer>,
      content as Uint8Array<ArrayBuffer>,
    );
  },
};
