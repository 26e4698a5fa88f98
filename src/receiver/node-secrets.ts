/**
 * The `Secrets` port on node:crypto. Same HKDF derivation and same sealed format as the WebCrypto version
 * (data sealed by one opens with the other), but HMAC and AES-GCM run synchronously in microseconds
 * instead of as thread-pool jobs, which matters at thousands of notifications per second.
 */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync } from 'node:crypto';
import { checkSealed, packSealed, parseSecret, type Secrets, wrongSecret } from './secrets.js';

const SALT = new Uint8Array(32);

function derive(raw: Uint8Array, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', raw, SALT, info, 32));
}

/** IVs drawn from a pooled random buffer: one kernel call per 4 KiB instead of one per notification. */
function ivSource(): () => Buffer {
  const pool = Buffer.alloc(4096);
  let offset = pool.length;
  return () => {
    if (offset + 12 > pool.length) {
      randomFillSync(pool);
      offset = 0;
    }
    const iv = Buffer.from(pool.subarray(offset, offset + 12));
    offset += 12;
    return iv;
  };
}

/**
 * @example
 * const receiver = await createReceiver({ ...options, secretsFactory: createNodeSecrets });
 */
export function createNodeSecrets(secret: string | Uint8Array): Secrets {
  const raw = parseSecret(secret);
  const hmacKey = derive(raw, 'authnotify/token-hash/v1');
  const aesKey = derive(raw, 'authnotify/seal/v1');
  const nextIv = ivSource();
  return {
    async tokenHash(token) {
      return createHmac('sha256', hmacKey).update(token, 'utf8').digest('hex');
    },
    async seal(plaintext) {
      const iv = nextIv();
      const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
      const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
      return packSealed(iv, body);
    },
    async open(sealed) {
      checkSealed(sealed);
      try {
        const decipher = createDecipheriv('aes-256-gcm', aesKey, sealed.subarray(1, 13));
        decipher.setAuthTag(sealed.subarray(sealed.length - 16));
        const plain = Buffer.concat([
          decipher.update(sealed.subarray(13, sealed.length - 16)),
          decipher.final(),
        ]);
        return new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength);
      } catch (error) {
        throw wrongSecret(error);
      }
    },
  };
}
