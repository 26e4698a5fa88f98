/**
 * Verify throughput: authnotify's verifyMessage (headers, Signature parsing, signed content, WebCrypto
 * verify with a cached key) against bare node:crypto verify on the same key, and against a
 * PEM-string-per-call verifier, in one process.
 */
import { createPublicKey, createVerify, generateKeyPairSync, sign, verify } from 'node:crypto';
import { createKeyRing } from '../src/protocol/key-ring.js';
import { nodeSignatureCrypto } from '../src/protocol/node-crypto.js';
import { verifyMessage } from '../src/protocol/signature.js';
import { type Measurement, measure, printTable } from './lib.js';

export async function benchVerify(count = 20_000): Promise<Measurement[]> {
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
  // Seven rounds, the cases interleaved in each, and the median of each case: this machine's speed drifts
  // within a minute, and a single pass would compare one case's good second with another's bad one.
  const rounds = 7;
  const runs = new Map<string, Measurement[]>();
  for (let round = 0; round < rounds; round++) {
    for (const [name, n, inFlight, fn] of cases) {
      const m = await measure(name, n, inFlight, fn);
      runs.set(name, [...(runs.get(name) ?? []), m]);
    }
  }
  const rows = cases.map(([name]) => {
    const sorted = [...(runs.get(name) ?? [])].sort((a, b) => a.opsPerSec - b.opsPerSec);
    return sorted[Math.floor(rounds / 2)] as Measurement;
  });
  printTable(
    `verify throughput (RSA-2048, one notification; median of ${rounds} interleaved rounds)`,
    rows,
    'bare crypto.verify (sync, cached KeyObject)',
  );
  return rows;
}
