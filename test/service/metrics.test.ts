import { describe, expect, it } from 'vitest';
import { createMetrics } from '../../src/http/metrics.js';
import { ManualClock } from '../../src/protocol/clock.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { OK, signAsFixtureAlipay } from '../helpers/receiver.js';
import { startTestService } from '../helpers/service.js';

describe('/metrics', () => {
  it('counts notifications by outcome and rejections by code, with every name prefixed authnotify_', async () => {
    const metrics = createMetrics();
    const store = await createSqliteStore({ path: ':memory:', onBatch: metrics.onBatch });
    const service = await startTestService({
      store,
      adminToken: 'metrics-admin-token-0123456789abcdef',
      metrics,
    });
    try {
      const s = await signAsFixtureAlipay({
        authorizationNotifyType: 'TOKEN_CANCELED',
        accessToken: 'T-m',
        result: OK,
      });
      expect(
        (await fetch(`${service.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body })).status,
      ).toBe(200);
      expect(
        (
          await fetch(`${service.url}${s.path}`, {
            method: 'POST',
            headers: { ...s.headers, Signature: 'algorithm=RSA256,signature=AAAA' },
            body: s.body,
          })
        ).status,
      ).toBe(401);
      const response = await fetch(`${service.url}/metrics`);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await response.text();
      expect(text).toContain(
        'authnotify_notifications_received_total{type="TOKEN_CANCELED",outcome="stored"} 1',
      );
      expect(text).toContain('authnotify_rejections_total{code="INVALID_SIGNATURE"} 1');
      expect(text).toContain('authnotify_inbox_rows{status="PENDING"} 1');
      expect(text).toMatch(/authnotify_group_commit_batch_size_count 1/);
      expect(text).toMatch(/authnotify_ack_latency_seconds_bucket\{le="0\.1"\} 2/);
      const names = text
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split(/[{ ]/)[0] as string);
      expect(names.length).toBeGreaterThan(10);
      expect(names.every((n) => n.startsWith('authnotify_'))).toBe(true);
      expect(text).not.toContain('T-m');
    } finally {
      await service.close();
    }
  });

  it('counts forwarded attempts by destination and verdict, deliveries by status, and the oldest undelivered age', async () => {
    const store = await createSqliteStore({ path: ':memory:' });
    const clock = new ManualClock(Date.now());
    const service = await startTestService({
      store,
      adminToken: 'metrics-admin-token-0123456789abcdef',
      clock,
      acceptUnknownAuthState: true,
      forwarding: { deliver: false, forwarder: { timeoutMs: 1000 } },
    });
    try {
      // A destination nobody listens at: every attempt is refused.
      const { destination } = await service.forwarding.destinations.create({
        url: 'http://127.0.0.1:9/events',
      });
      const s = await signAsFixtureAlipay(
        { authorizationNotifyType: 'TOKEN_CREATED', accessToken: 'T-fw', authState: 'st-m', result: OK },
        { now: clock.now() },
      );
      await fetch(`${service.url}${s.path}`, { method: 'POST', headers: s.headers, body: s.body });
      await service.receiver.drain();
      expect(await service.forwarding.forwarder.runOnce()).toBe(1);
      clock.advance(60_000);
      const text = await (await fetch(`${service.url}/metrics`)).text();
      expect(text).toContain(
        `authnotify_forward_attempts_total{destination="${destination.id}",verdict="CONNECTION_REFUSED"} 1`,
      );
      expect(text).toContain(
        `authnotify_forward_deliveries{destination="${destination.id}",status="PENDING"} 1`,
      );
      expect(text).toContain('authnotify_forward_destinations{status="ACTIVE"} 1');
      // the event waits since it was made, a minute ago on the service's clock
      expect(text).toMatch(/^authnotify_forward_oldest_undelivered_seconds 60$/m);
    } finally {
      await service.close();
    }
  });
});
