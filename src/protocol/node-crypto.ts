/**
 * RSA256 on Node's native `crypto.sign`/`crypto.verify` with their callback form, so the work runs on
 * libuv's thread pool without WebCrypto's per-call overhead. Keys are converted to `KeyObject`s once.
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
    return new Promise((resolve, reject) => {
      verify('sha256', content, keyObject(publicKey), signature, (error, ok) =>
        error ? reject(error) : resolve(ok),
      );
    });
  },
};
