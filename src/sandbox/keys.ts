/** The sandbox's own key pair: read from a directory, or generated there on first run. */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toBase64 } from '../protocol/bytes.js';
import {
  exportSpki,
  generateRsaKeyPair,
  importPrivateKey,
  publicKeyFromPrivate,
  toPem,
} from '../protocol/keys.js';
import type { CryptoKey } from '../protocol/web-crypto.js';

export interface SandboxKeys {
  privateKey: CryptoKey;
  /** One-line base64 SPKI: what a merchant configures as the "Alipay public key". */
  publicKey: string;
  generated: boolean;
}

/** Reads `<name>-private.pem` from `dir`, or generates the pair there (private key mode 0600). */
export async function loadOrCreateKeyPair(dir: string, name: string): Promise<SandboxKeys> {
  const privatePath = join(dir, `${name}-private.pem`);
  if (existsSync(privatePath)) {
    const privateKey = await importPrivateKey(readFileSync(privatePath, 'utf8'));
    return {
      privateKey,
      publicKey: toBase64(await exportSpki(await publicKeyFromPrivate(privateKey))),
      generated: false,
    };
  }
  mkdirSync(dir, { recursive: true });
  const pair = await generateRsaKeyPair();
  writeFileSync(privatePath, toPem(pair.pkcs8, 'PRIVATE KEY'), { mode: 0o600 });
  chmodSync(privatePath, 0o600);
  writeFileSync(join(dir, `${name}-public.pem`), toPem(pair.spki, 'PUBLIC KEY'));
  writeFileSync(join(dir, `${name}-public.txt`), `${toBase64(pair.spki)}\n`);
  return { privateKey: pair.privateKey, publicKey: toBase64(pair.spki), generated: true };
}

export function loadOrCreateSandboxKeys(dir: string): Promise<SandboxKeys> {
  return loadOrCreateKeyPair(dir, 'alipay');
}
