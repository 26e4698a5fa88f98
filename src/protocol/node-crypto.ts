/**
 * RSA256 on Node's native `crypto.sign`/`crypto.verify`, without WebCrypto's per-call overhead; keys are
 * converted to `KeyObject`s once. Signing (a private-key operation, about a millisecond) runs on libuv's
 * thread pool. Verifying (public exponent 65537: some 10–20 µs) runs right here: handing it to the pool
 * cost more than the check itself — the hand-off, the pool's lock and two thread wake-ups — and on a
 * busy two-core machine those wake-ups were a fifth of the receiver's CPU (issue 13, measured with perf).
 */
import { KeyObject, sign, verify } from 'node:crypto';
import type { SignatureCrypto } from './signature-crypto.js';
import type { CryptoKey } from './web-crypto.js';

const keyObjects = new WeakMap<CryptoKey, KeyObject>();

function keyObject(key: CryptoKey): KeyObject {
  let object = keyObjects.get(key);
  if (!object) {
    object = KeyObject.from(key);
    keyObjects.set(key, object);
  }
  return object;
}

/**
 * @example
 * const receiver = createReceiver({ ...options, crypto: nodeSignatureCrypto });
 */
export const nodeSignatureCrypto: SignatureCrypto = {
  name: 'node',
  sign(content, privateKey) {
    return new Promise((resolve, reject) => {
      sign('sha256', content, keyObject(privateKey), (error, signature) =>
        error
          ? reject(error)
          : resolve(new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength)),
      );
    });
  },
  verify(content, signature, publicKey) {
    try {
      return Promise.resolve(verify('sha256', content, keyObject(publicKey), signature));
    } catch (error) {
      return Promise.reject(error);
    }
  },
};
