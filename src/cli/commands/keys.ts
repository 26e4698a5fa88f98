import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { sha256Hex, toBase64 } from '../../protocol/bytes.js';
import {
  describeKey,
  generateRsaKeyPair,
  importPrivateKey,
  importPublicKey,
  type KeyInfo,
  publicKeyFromPrivate,
  toPem,
} from '../../protocol/keys.js';
import { readKeySource } from '../../protocol/node-key-source.js';
import { type CliContext, UsageError } from '../io.js';

interface KeyFile {
  file: string;
  kind: 'private' | 'public';
  format: string;
  use: string;
}

const FILES: readonly KeyFile[] = [
  {
    file: 'private-key.pem',
    kind: 'private',
    format: 'PKCS#8 PEM',
    use: 'authnotify, Node, Java SDK — keep secret',
  },
  {
    file: 'private-key.pkcs8.txt',
    kind: 'private',
    format: 'PKCS#8 one-line base64',
    use: 'Java/Go SDKs, env vars — keep secret',
  },
  {
    file: 'private-key.pkcs1.pem',
    kind: 'private',
    format: 'PKCS#1 PEM',
    use: 'PHP and Python tooling — keep secret',
  },
  {
    file: 'private-key.pkcs1.txt',
    kind: 'private',
    format: 'PKCS#1 one-line base64',
    use: 'PHP and Python tooling — keep secret',
  },
  {
    file: 'public-key.pem',
    kind: 'public',
    format: 'SPKI PEM',
    use: 'give to whoever verifies your signatures',
  },
  {
    file: 'public-key.txt',
    kind: 'public',
    format: 'SPKI one-line base64',
    use: 'upload to the Antom Dashboard',
  },
];

export function registerKeys(program: Command, ctx: CliContext): void {
  const { io } = ctx;
  const keys = program.command('keys').description('generate and inspect RSA key pairs');
  keys
    .command('generate')
    .description('generate an RSA-2048 key pair in every format Alipay tooling uses')
    .requiredOption('--out <dir>', 'directory to write the key files to')
    .option('--force', 'overwrite existing key files')
    .option('--json', 'print the result as JSON')
    .action(async (opts: { out: string; force?: boolean; json?: boolean }) => {
      const dir = resolve(io.cwd, opts.out);
      const clashes = FILES.map((f) => join(dir, f.file)).filter((p) => existsSync(p));
      if (clashes.length > 0 && !opts.force) {
        throw new UsageError(
          `${clashes[0]} already exists; pass --force to overwrite or choose another --out`,
        );
      }
      const pair = await generateRsaKeyPair();
      const contents: Record<string, string> = {
        'private-key.pem': toPem(pair.pkcs8, 'PRIVATE KEY'),
        'private-key.pkcs8.txt': `${toBase64(pair.pkcs8)}\n`,
        'private-key.pkcs1.pem': toPem(pair.pkcs1, 'RSA PRIVATE KEY'),
        'private-key.pkcs1.txt': `${toBase64(pair.pkcs1)}\n`,
        'public-key.pem': toPem(pair.spki, 'PUBLIC KEY'),
        'public-key.txt': `${toBase64(pair.spki)}\n`,
      };
      mkdirSync(dir, { recursive: true });
      for (const f of FILES) {
        const path = join(dir, f.file);
        const mode = f.kind === 'private' ? 0o600 : 0o644;
        writeFileSync(path, contents[f.file] as string, { mode });
        chmodSync(path, mode); // writeFileSync keeps the old mode of an existing file
      }
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ dir, files: FILES.map((f) => ({ ...f, path: join(dir, f.file) })) })}\n`,
        );
        return;
      }
      io.stdout(`Wrote an RSA-2048 key pair to ${dir}\n\n`);
      for (const f of FILES) io.stdout(`  ${f.file.padEnd(24)} ${f.format.padEnd(24)} ${f.use}\n`);
      io.stdout(
        '\nIn the Antom Dashboard (Developer > Key configuration): upload public-key.txt as your merchant public key,\n' +
          'and copy the Alipay public key it shows you into --alipay-public-key. Private key files are mode 0600.\n',
      );
    });
  keys
    .command('inspect')
    .description('say what a key is: public or private, format, size, and the fingerprint of its public half')
    .argument('<key>', 'the key: text, a file path, or env:VAR')
    .option('--json', 'print the result as JSON')
    .action(async (source: string, opts: { json?: boolean }) => {
      const text = readKeySource(source, io.env);
      const info = describeKey(text);
      const publicKey =
        info.kind === 'private'
          ? await publicKeyFromPrivate(await importPrivateKey(text))
          : await importPublicKey(text);
      const spki = new Uint8Array(await crypto.subtle.exportKey('spki', publicKey));
      const fingerprint = await sha256Hex(spki);
      const format = FORMAT_NAMES[info.format];
      if (opts.json) {
        io.stdout(
          `${JSON.stringify({ kind: info.kind, format: info.format, bits: info.bits, publicKeySha256: fingerprint })}\n`,
        );
        return;
      }
      io.stdout(`${info.kind} key, RSA-${info.bits}, ${format}\n`);
      io.stdout(`SHA-256 of its public key (SPKI): ${fingerprint}\n`);
      io.stdout(
        info.kind === 'private'
          ? 'Keep it secret. Its public half is what you upload to the Antom Dashboard; compare fingerprints to check a pair.\n'
          : 'A public key: the Alipay public key goes to --alipay-public-key; yours is what Alipay verifies you with.\n',
      );
    });
}

const FORMAT_NAMES: Record<KeyInfo['format'], string> = {
  spki: 'SPKI (X.509 SubjectPublicKeyInfo)',
  'pkcs1-public': 'PKCS#1 RSAPublicKey',
  pkcs8: 'PKCS#8',
  'pkcs1-private': 'PKCS#1 RSAPrivateKey',
};
