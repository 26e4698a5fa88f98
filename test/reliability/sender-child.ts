/**
 * A sender worker for the crash and scale-out tests: delivers from a PostgreSQL outbox until killed.
 *   node --import tsx test/reliability/sender-child.ts <postgres-url-with-schema>
 */
import { readFileSync } from 'node:fs';
import { nodeSignatureCrypto } from '../../src/protocol/node-crypto.js';
import { createSender } from '../../src/sender/sender.js';
import { openStore, parseDatabase } from '../../src/service/database.js';

const [database] = process.argv.slice(2) as [string];
const store = await openStore(parseDatabase(database));
const sender = await createSender({
  store,
  clientId: 'SANDBOX_CRASH',
  privateKey: readFileSync(new URL('../fixtures/keys/alipay-v1.private.pem', import.meta.url), 'utf8'),
  crypto: nodeSignatureCrypto,
  timeScale: 60_000, // 2 min → 2 ms: the whole schedule in well under a second
  timeoutMs: 500,
  leaseMs: 1500,
  pollIntervalMs: 20,
  concurrency: 8,
  batchSize: 16,
  owner: `worker-${process.pid}`,
});
sender.start();
process.stdout.write('ready\n');
