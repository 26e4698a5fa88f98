/**
 * A merchant process for the crash tests: a receiver on SQLite (or PostgreSQL) over node:http, with a
 * handler that records every event it sees in a log file. The test kills it with SIGKILL at random moments.
 *   node --import tsx test/reliability/crash-child.ts <database> <handler-log> <port-file>
 * Each handler run is logged as `<event id> <pid> <start ms> <end ms>`; HANDLER_DELAY_MS makes it slow.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '../../src/adapters/node-http.js';
import { nodeDefaults } from '../../src/node/index.js';
import { createReceiver } from '../../src/receiver/receiver.js';
import { openStore, parseDatabase } from '../../src/service/database.js';

const [database, handlerLog, portFile] = process.argv.slice(2) as [string, string, string];
const store = await openStore(parseDatabase(database));
const receiver = await createReceiver({
  ...nodeDefaults,
  clientId: 'SANDBOX_CRASH',
  alipayPublicKeys: readFileSync(new URL('../fixtures/keys/alipay-v1.public.pem', import.meta.url), 'utf8'),
  secretKey: 'c'.repeat(64),
  store,
  acceptUnknownAuthState: process.env.ACCEPT_UNKNOWN_AUTH_STATE === '1',
  processor: { leaseMs: Number(process.env.LEASE_MS ?? 500), pollIntervalMs: 50, nudgeDelayMs: 5 },
});
const handlerDelayMs = Number(process.env.HANDLER_DELAY_MS ?? 0);
receiver.on('*', async (event) => {
  const start = Date.now();
  if (handlerDelayMs > 0) await new Promise((r) => setTimeout(r, handlerDelayMs));
  appendFileSync(handlerLog, `${event.id} ${process.pid} ${start} ${Date.now()}\n`);
});
receiver.start();
const server = createServer(toNodeHandler(receiver));
server.listen(0, '127.0.0.1', () => writeFileSync(portFile, String((server.address() as AddressInfo).port)));
