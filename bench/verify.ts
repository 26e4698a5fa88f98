/**
 * Verify throughput: authnotify's verifyMessage (headers, Signature parsing, signed content, WebCrypto
 * verify with a cached key) against bare node:crypto verify on the same key, and against a
 * PEM-string-per-call verifier, in one process. authnotify is loaded from the build (`dist/`, which
 * `npm run bench` makes first), the code a user runs: run through tsx, the sources carry a name-keeping
 * wrapper around every closure that the build does not have.
 */
import { createPublicKey, createVerify, generateKeyPairSync, sign, verify } from 'node:crypto';
import { existsSync } from 'node:fs';
import { type Measurement, measure, printTable } from './lib.js';

const DIST = new URL('../dist/protocol/', import.meta.url);

/** A module of the build, typed by its source. */
async function built<T>(file: string): Promise<T> {
  const url = new URL(file, DIST);
  if (!existsSync(url)) throw new Error(`bench: ${url.pathname} is missing; run \`npm run build\` first`);
  return (await import(url.href)) as T;
}

const { createKeyRing } = await built<typeof import('../src/protocol/key-ring.js')>('key-ring.js');
const { nodeSignatureCrypto } =
  await built<typeof import('../src/protocol/node-crypto.js')>('node-crypto.js');
const { verifyMessage } = await built<typeof import('../src/protocol/signature.js')>('signature.js');

export async function benchVerify(count = 80_000): Promise<Measurement[]> {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const keyObject = createPublicKey(pem);
  const ring = await createKeyRing({ '1': pem });
  const body = new TextEncoder().encode(
    JSON.stringify({
      authorizationNotifyType: 'TOKEN_CANCELED',
      accessToken: '28100103_20215703001538122119',
      result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
    }),
  );
  const time = String(Date.now());
  const content = Buffer.concat([
    Buffer.from(`POST /alipay/notify/authorization\nSANDBOX_BENCH.${time}.`),
    body,
  ]);
  const signature = sign('sha256', content, privateKey);
  const header = `algorithm=RSA256,keyVersion=1,signature=${encodeURIComponent(signature.toString('base64'))}`;
  const headers = { 'Client-Id': 'SANDBOX_BENCH', 'Request-Time': time, Signature: header };
  const input = { receivedPath: '/alipay/notify/authorization', headers, body };
  const options = { clientId: 'SANDBOX_BENCH', keys: ring, now: Date.now() };
  const nodeOptions = { ...options, crypto: nodeSignatureCrypto };

  // warm up every path
  for (let i = 0; i < 500; i++) {
    verify('sha256', content, keyObject, signature);
    await verifyMessage(input, options);
    await verifyMessage(input, nodeOptions);
  }
  const cases: [string, number, number, () => unknown][] = [
    [
      'bare crypto.verify (sync, cached KeyObject)',
      count,
      1,
      () => {
        if (!verify('sha256', content, keyObject, signature)) throw new Error('bench: bare verify failed');
      },
    ],
    [
      'bare crypto.verify (thread pool, 64 in flight)',
      count,
      64,
      () =>
        new Promise<void>((resolve, reject) =>
          verify('sha256', content, keyObject, signature, (error, ok) =>
            error || !ok ? reject(error ?? new Error('bench: bare verify failed')) : resolve(),
          ),
        ),
    ],
    [
      'authnotify verifyMessage, node provider (verifies in place)',
      count,
      64,
      async () => {
        const verdict = await verifyMessage(input, nodeOptions);
        if (!verdict.ok) throw new Error(`bench: verifyMessage failed: ${verdict.code}`);
      },
    ],
    [
      'authnotify verifyMessage, webcrypto (64 in flight)',
      count,
      64,
      async () => {
        const verdict = await verifyMessage(input, options);
        if (!verdict.ok) throw new Error(`bench: verifyMessage failed: ${verdict.code}`);
      },
    ],
    [
      'PEM string parsed per call (createVerify)',
      Math.floor(count / 4),
      1,
      () => {
        const v = createVerify('RSA-SHA256');
        v.update(content);
        if (!v.verify(pem, signature)) throw new Error('bench: PEM verify failed');
      },
    ],
  ];
  // Many short blocks, the cases taking turns, each case's blocks summed: this machine's speed drifts
  // within seconds, and long rounds (seven of 20,000 calls each, before) let one case have a fast
  // second and the next a slow one — the ratio moved between 0.75 and 1.02 from one run to the next.
  const blocks = 40;
  const totals = new Map<string, { ops: number; ms: number }>();
  for (let block = 0; block < blocks; block++) {
    for (const [name, n, inFlight, fn] of cases) {
      const m = await measure(name, Math.ceil(n / blocks), inFlight, fn);
      const total = totals.get(name) ?? { ops: 0, ms: 0 };
      totals.set(name, { ops: total.ops + m.ops, ms: total.ms + m.ms });
    }
  }
  const rows = cases.map(([name]): Measurement => {
    const { ops, ms } = totals.get(name) ?? { ops: 0, ms: 1 };
    return { name, ops, ms, opsPerSec: (ops / ms) * 1000 };
  });
  printTable(
    `verify throughput (RSA-2048, one notification; ${blocks} interleaved blocks per case)`,
    rows,
    'bare crypto.verify (sync, cached KeyObject)',
  );
  return rows;
}
