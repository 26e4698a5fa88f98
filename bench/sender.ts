/**
 * Sender throughput: distinct notifications delivered (signed, POSTed, judged, attempt logged) to a local
 * bare ack server, against a loop that only signs the same payloads on one thread (the signing ceiling).
 * Then memory and claim cost with 100 000 notifications waiting in the outbox.
 */

import { spawn } from 'node:child_process';
import { createPrivateKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ManualClock } from '../src/protocol/clock.js';
import { nodeSignatureCrypto } from '../src/protocol/node-crypto.js';
import { parseSchedule } from '../src/protocol/schedule.js';
import { createSender } from '../src/sender/sender.js';
import { createSqliteStore } from '../src/store/sqlite/index.js';

const ROOT = new URL('..', import.meta.url).pathname;
const body = (i: number) =>
  JSON.stringify({
    authorizationNotifyType: 'TOKEN_CANCELED',
    accessToken: `2810010_${i}`,
    result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' },
  });

export async function benchSender(count = 4000): Promise<void> {
  const pem = readFileSync(join(ROOT, 'test/fixtures/keys/alipay-v1.private.pem'), 'utf8');
  const keyObject = createPrivateKey(pem);

  // The signing ceiling: sign the same content shape, one thread, nothing else.
  let t = performance.now();
  for (let i = 0; i < count; i++)
    sign(
      'sha256',
      Buffer.from(`POST /alipay/notify/authorization\nSANDBOX_BENCH.${Date.now()}.${body(i)}`),
      keyObject,
    );
  const ceiling = (count / (performance.now() - t)) * 1000;

  // The ack server runs in its own process, so it does not share the sender's event loop.
  const server = spawn(process.execPath, [join(ROOT, 'bench/servers/floor.mjs')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise<string>((resolve, reject) => {
    server.stdout.once('data', (d: Buffer) => resolve((JSON.parse(d.toString()) as { url: string }).url));
    server.once('exit', (code) => reject(new Error(`ack server exited with ${code}`)));
  });
  const to = `${base}/alipay/notify/authorization`;
  const store = await createSqliteStore({ path: `/tmp/authnotify-bench-sender-${Date.now()}.db` });
  const sender = await createSender({
    store,
    clientId: 'SANDBOX_BENCH',
    privateKey: pem,
    crypto: nodeSignatureCrypto,
    schedule: parseSchedule('once'),
    batchSize: 256,
    concurrency: 64,
  });
  for (let i = 0; i < count; i++) await sender.enqueue({ notification: body(i), to });
  t = performance.now();
  let delivered = 0;
  while (delivered < count) delivered += await sender.runOnce();
  const rate = (count / (performance.now() - t)) * 1000;
  const acknowledged = (await store.listOutbox({ status: 'ACKNOWLEDGED', limit: 1 })).items.length;
  let attempts = 0;
  for (const o of (await store.listOutbox({ limit: 200 })).items)
    attempts += (await store.listAttempts(o.id)).length;
  await sender.close();
  await store.close();
  server.kill('SIGTERM');
  console.log(`\n## sender throughput (${count} distinct notifications, node ${process.version})`);
  console.log(
    `${'signing only, one thread (ceiling)'.padEnd(48)} ${ceiling.toFixed(0).padStart(8)} /s   1.00×`,
  );
  console.log(
    `${'sender: sign + POST + judge + attempt log'.padEnd(48)} ${rate.toFixed(0).padStart(8)} /s   ${(rate / ceiling).toFixed(2)}×  (attempt rows in a sample of 200: ${attempts}, acknowledged: ${acknowledged > 0 ? 'yes' : 'no'})`,
  );

  // Backlog: 100 000 waiting deliveries; RSS and the cost of one claim at 1k and at 100k pending.
  const clock = new ManualClock(Date.now());
  const backlogStore = await createSqliteStore({ path: `/tmp/authnotify-bench-backlog-${Date.now()}.db` });
  const backlogSender = await createSender({
    store: backlogStore,
    clientId: 'SANDBOX_BENCH',
    privateKey: pem,
    clock,
    schedule: parseSchedule('1h'),
  });
  const claimCost = async () => {
    const samples: number[] = [];
    for (let i = 0; i < 20; i++) {
      const s = performance.now();
      await backlogStore.claimOutbox({ now: clock.now(), limit: 64, leaseMs: 1000, owner: 'probe' }); // none due: pure index probe
      samples.push(performance.now() - s);
    }
    return samples.sort((a, b) => a - b)[10] as number;
  };
  const rss0 = process.memoryUsage().rss;
  for (let i = 0; i < 1000; i++) await backlogSender.enqueue({ notification: body(i), to });
  const at1k = await claimCost();
  for (let i = 1000; i < 100_000; i++) await backlogSender.enqueue({ notification: body(i), to });
  const at100k = await claimCost();
  global.gc?.();
  const rss1 = process.memoryUsage().rss;
  await backlogSender.close();
  await backlogStore.close();
  console.log(
    `claim cost, median of 20: ${at1k.toFixed(3)} ms at 1k pending, ${at100k.toFixed(3)} ms at 100k pending (${(at100k / at1k).toFixed(2)}×)`,
  );
  console.log(
    `RSS ${(rss0 / 2 ** 20).toFixed(0)} MiB before, ${(rss1 / 2 ** 20).toFixed(0)} MiB with 100 000 deliveries waiting (they live in the store, not in memory)`,
  );
}
