/**
 * Prometheus metrics (`/metrics`), every name prefixed `authnotify_`. Counters are fed by the receiver's
 * observer, the SQLite group commit, the Alipay client and the sender; gauges are read from the store at
 * scrape time. The service and the sandbox each keep their own registry.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Store } from '../store/types.js';

/** Hooks the receiver calls (its `ReceiverObserver`), typed here without depending on the receiver. */
export interface NotificationObserver {
  received(outcome: string, code: string | null, type: string | null, ms: number): void;
  processed(outcome: string, type: string | null): void;
}

export interface Metrics {
  registry: Registry;
  observer: NotificationObserver;
  /** For `createSqliteStore({ onBatch })`. */
  onBatch: (size: number) => void;
  /** For the Alipay client. */
  onClientCall: (api: string, resultStatus: string) => void;
  /** For the sender: an attempt's verdict and how late it started against its due time. */
  onDeliveryAttempt: (verdict: string, latenessMs: number) => void;
  /** For the forwarder: an attempt to a destination and its verdict. */
  onForwardAttempt: (destinationId: string, verdict: string) => void;
  /** Reads store-derived gauges; `now` (the service's clock) dates the ages. */
  collect(store: Store, now?: number): Promise<void>;
  render(): Promise<string>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  const notifications = new Counter({
    name: 'authnotify_notifications_received_total',
    help: 'Notifications received, by type and outcome (stored, duplicate, quarantined, rejected, unavailable)',
    labelNames: ['type', 'outcome'],
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'authnotify_rejections_total',
    help: 'Rejected notify requests by code',
    labelNames: ['code'],
    registers: [registry],
  });
  const ackLatency = new Histogram({
    name: 'authnotify_ack_latency_seconds',
    help: 'Time from request to answer on the notify endpoint',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'authnotify_group_commit_batch_size',
    help: 'Inbox inserts per SQLite group commit',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
    registers: [registry],
  });
  const processed = new Counter({
    name: 'authnotify_processor_outcomes_total',
    help: 'Inbox rows processed, retried or failed',
    labelNames: ['outcome', 'type'],
    registers: [registry],
  });
  const backlog = new Gauge({
    name: 'authnotify_inbox_rows',
    help: 'Inbox rows by status',
    labelNames: ['status'],
    registers: [registry],
  });
  const deliveries = new Gauge({
    name: 'authnotify_deliveries',
    help: 'Outbox deliveries by status (pending, exhausted, …)',
    labelNames: ['status'],
    registers: [registry],
  });
  const clientCalls = new Counter({
    name: 'authnotify_client_calls_total',
    help: 'Calls to Alipay by API and resultStatus',
    labelNames: ['api', 'result_status'],
    registers: [registry],
  });
  const attempts = new Counter({
    name: 'authnotify_sender_attempts_total',
    help: 'Delivery attempts by verdict',
    labelNames: ['verdict'],
    registers: [registry],
  });
  const lateness = new Histogram({
    name: 'authnotify_sender_schedule_lateness_seconds',
    help: 'How late a delivery attempt started after its due time',
    buckets: [0.01, 0.1, 0.5, 1, 5, 30, 60, 300],
    registers: [registry],
  });
  const forwardAttempts = new Counter({
    name: 'authnotify_forward_attempts_total',
    help: 'Forwarded event delivery attempts by destination and verdict',
    labelNames: ['destination', 'verdict'],
    registers: [registry],
  });
  const forwardDeliveries = new Gauge({
    name: 'authnotify_forward_deliveries',
    help: 'Forwarded event deliveries by destination and status (PENDING, EXHAUSTED, …)',
    labelNames: ['destination', 'status'],
    registers: [registry],
  });
  const destinations = new Gauge({
    name: 'authnotify_forward_destinations',
    help: 'Forwarding destinations by status (ACTIVE, PAUSED, DISABLED)',
    labelNames: ['status'],
    registers: [registry],
  });
  const oldestUndelivered = new Gauge({
    name: 'authnotify_forward_oldest_undelivered_seconds',
    help: 'Age of the oldest event still waiting for a delivery (0 when none waits)',
    registers: [registry],
  });
  // Label sets repeat (a handful of types and outcomes): their child series are looked up once, not
  // hashed on every notification.
  const child = <T>(cache: Map<string, T>, key: string, make: () => T): T => {
    let found = cache.get(key);
    if (found === undefined) {
      found = make();
      cache.set(key, found);
    }
    return found;
  };
  const receivedSeries = new Map<string, ReturnType<typeof notifications.labels>>();
  const processedSeries = new Map<string, ReturnType<typeof processed.labels>>();
  return {
    registry,
    observer: {
      received(outcome, code, type, ms) {
        const t = type ?? 'unknown';
        child(receivedSeries, `${t}\u0000${outcome}`, () => notifications.labels({ type: t, outcome })).inc();
        if (code && outcome === 'rejected') rejections.inc({ code });
        ackLatency.observe(ms / 1000);
      },
      processed(outcome, type) {
        const t = type ?? 'unknown';
        child(processedSeries, `${t}\u0000${outcome}`, () => processed.labels({ outcome, type: t })).inc();
      },
    },
    onBatch: (size) => batches.observe(size),
    onClientCall: (api, resultStatus) => clientCalls.inc({ api, result_status: resultStatus }),
    onDeliveryAttempt: (verdict, latenessMs) => {
      attempts.inc({ verdict });
      lateness.observe(Math.max(0, latenessMs) / 1000);
    },
    onForwardAttempt: (destination, verdict) => forwardAttempts.inc({ destination, verdict }),
    async collect(store, now = Date.now()) {
      for (const [status, n] of Object.entries(await store.countInbox())) backlog.set({ status }, n);
      for (const [status, n] of Object.entries(await store.countOutbox())) deliveries.set({ status }, n);
      forwardDeliveries.reset();
      for (const c of await store.events.countDeliveries())
        forwardDeliveries.set({ destination: c.destinationId, status: c.status }, c.count);
      const byStatus: Record<string, number> = { ACTIVE: 0, PAUSED: 0, DISABLED: 0 };
      for (const d of await store.events.listDestinations())
        byStatus[d.status] = (byStatus[d.status] ?? 0) + 1;
      for (const [status, n] of Object.entries(byStatus)) destinations.set({ status }, n);
      const oldest = await store.events.oldestUndelivered();
      oldestUndelivered.set(oldest === null ? 0 : Math.max(0, (now - oldest) / 1000));
    },
    render: () => registry.metrics(),
  };
}
