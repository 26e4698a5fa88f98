/**
 * A forwarding worker for the scale-out tests: a forwarder on PostgreSQL with short leases and a fast
 * schedule, killed with SIGKILL at random moments by the test.
 *   node --import tsx test/reliability/forwarder-child.ts <database-url?schema=…>
 */
import { systemClock } from '../../src/protocol/clock.js';
import { createNodeSecrets } from '../../src/receiver/node-secrets.js';
import { createForwarder } from '../../src/sender/forwarder.js';
import { openStore, parseDatabase } from '../../src/service/database.js';
import { Destinations } from '../../src/service/destinations.js';

// The test seals the destination's secret with the same key.
const FORWARDER_SECRET_KEY = 'f'.repeat(64);

const store = await openStore(parseDatabase(process.argv[2] as string));
const destinations = new Destinations(store, createNodeSecrets(FORWARDER_SECRET_KEY), systemClock);
const forwarder = createForwarder({
  store,
  openSecret: destinations.open,
  timeScale: 60_000,
  timeoutMs: 500,
  leaseMs: 1500,
  pollIntervalMs: 20,
  concurrency: 8,
});
forwarder.start();
