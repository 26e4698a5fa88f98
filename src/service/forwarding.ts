/**
 * The service's part of forwarding: the `--forward-to` destinations brought in step with the flags, the
 * forwarder running in this process (several processes share the deliveries through leases), and the
 * event log pruned past its retention.
 */
import type { Metrics } from '../http/metrics.js';
import type { Clock } from '../protocol/clock.js';
import type { Logger } from '../protocol/logger.js';
import type { Secrets } from '../receiver/secrets.js';
import { createForwarder, type Forwarder, type ForwarderOptions } from '../sender/forwarder.js';
import type { Store } from '../store/types.js';
import { Destinations, type ForwardTarget } from './destinations.js';

/** Events are kept 30 days by default (the deliveries they still owe are kept until made). */
export const DEFAULT_EVENT_RETENTION_MS = 30 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;

export interface ForwardingOptions {
  /** Destinations from `--forward-to`. */
  targets?: readonly ForwardTarget[] | undefined;
  /** How long events are kept. Default 30 days. */
  retentionMs?: number | undefined;
  /** Deliver from this process. Default true. */
  deliver?: boolean | undefined;
  /** Forwarder settings (timeouts, schedule, time scale). */
  forwarder?: Omit<ForwarderOptions, 'store' | 'openSecret' | 'clock' | 'logger'> | undefined;
}

export interface RunningForwarding {
  destinations: Destinations;
  forwarder: Forwarder;
  /** Secrets generated for `--forward-to` destinations now (shown once by the command). */
  generated: { url: string; secret: string }[];
  /** Deletes events past the retention; answers how many went. */
  prune(): Promise<number>;
  stop(): Promise<void>;
}

export async function startForwarding(
  deps: { store: Store; secrets: Secrets; clock: Clock; logger: Logger; metrics: Metrics },
  options: ForwardingOptions = {},
): Promise<RunningForwarding> {
  const { store, clock, logger, metrics } = deps;
  const destinations = new Destinations(store, deps.secrets, clock);
  const synced = await destinations.syncConfigured(options.targets ?? []);
  const generated = synced.flatMap((s) =>
    s.generatedSecret ? [{ url: s.destination.url, secret: s.generatedSecret }] : [],
  );
  const forwarder = createForwarder({
    ...options.forwarder,
    store,
    clock,
    logger,
    openSecret: destinations.open,
    onAttempt: (attempt, delivery, next) => {
      metrics.onForwardAttempt(delivery.destinationId, attempt.verdict);
      options.forwarder?.onAttempt?.(attempt, delivery, next);
    },
  });
  const retentionMs = options.retentionMs ?? DEFAULT_EVENT_RETENTION_MS;
  async function prune(): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await store.events.prune(clock.now() - retentionMs, 1000);
      total += n;
      if (n < 1000) return total;
    }
  }
  const pruning = setInterval(() => {
    prune().catch((error: unknown) =>
      logger.warn({ err: (error as Error).message }, 'could not prune old events; will retry'),
    );
  }, PRUNE_EVERY_MS);
  pruning.unref();
  if (options.deliver !== false) forwarder.start();
  return {
    destinations,
    forwarder,
    generated,
    prune,
    async stop() {
      clearInterval(pruning);
      await forwarder.stop();
      await forwarder.close();
    },
  };
}
