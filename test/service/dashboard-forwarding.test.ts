import { afterAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/protocol/clock.js';
import { createForwarder } from '../../src/sender/forwarder.js';
import { createApi } from '../../src/service/api.js';
import { Destinations } from '../../src/service/destinations.js';
import { type EventEndpoint, eventEndpoint } from '../helpers/event-endpoint.js';
import { OK, testReceiver } from '../helpers/receiver.js';

const TOKEN = 'dashboard-admin-token-0123456789abcdef';

describe('the dashboard forwarding pages', () => {
  let endpoint: EventEndpoint | undefined;
  afterAll(async () => {
    await endpoint?.close();
  });

  it('show destinations, deliveries and each attempt, and deliver again after a confirmation', async () => {
    endpoint = await eventEndpoint();
    endpoint.plan.push(500, 500);
    const t = await testReceiver({ acceptUnknownAuthState: true });
    const destinations = new Destinations(t.store, t.receiver.secrets, systemClock);
    const app = createApi({
      receiver: t.receiver,
      adminToken: TOKEN,
      events: {
        destinations,
        clock: systemClock,
        nudge: () => undefined,
        pollMs: 50,
        closing: new AbortController().signal,
      },
    });
    const login = await app.request('/dashboard/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const get = async (path: string) => (await app.request(path, { headers: { cookie } })).text();
    const post = (path: string, form: Record<string, string>) =>
      app.request(path, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(form).toString(),
      });

    const { destination } = await destinations.create({ url: endpoint.url });
    const token = `TOK-dash-${Math.random()}`;
    await t.send({
      authorizationNotifyType: 'TOKEN_CREATED',
      accessToken: token,
      authState: 'st-dash',
      result: OK,
    });
    await t.send({ authorizationNotifyType: 'TOKEN_CANCELED', accessToken: token, result: OK });
    await t.receiver.drain();
    const forwarder = createForwarder({ store: t.store, openSecret: destinations.open, timeoutMs: 2000 });
    expect(await forwarder.runOnce()).toBe(2);
    await forwarder.close();

    const list = await get('/dashboard/destinations');
    expect(list).toContain(endpoint.url);
    expect(list).toMatch(/PENDING 2/);
    const page = await get(`/dashboard/destinations/${destination.id}`);
    const deliveryIds = [...page.matchAll(/href="\/dashboard\/deliveries\/([^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    expect(deliveryIds).toHaveLength(2);
    expect(page).toContain('authorization.activated');
    expect(page).toContain('authorization.canceled');
    const detail = await get(`/dashboard/deliveries/${deliveryIds[0]}`);
    expect(detail).toMatch(/<td>500<\/td><td>NOT_2XX<\/td><td>\d+ ms<\/td><td><code>failed with 500<\/code>/);
    expect(detail).not.toContain(token);

    const confirm = await get(`/dashboard/deliveries/${deliveryIds[0]}/redeliver`);
    const csrf = /name="csrf" value="([^"]+)"/.exec(confirm)?.[1] as string;
    expect(confirm).toContain('Deliver it again');
    expect((await post(`/dashboard/deliveries/${deliveryIds[0]}/redeliver`, {})).status).toBe(403);
    const done = await post(`/dashboard/deliveries/${deliveryIds[0]}/redeliver`, { csrf });
    expect(done.status).toBe(303);
    expect(decodeURIComponent(done.headers.get('location') ?? '')).toContain('Delivering again (run 2).');
    expect((await t.store.events.getDelivery(deliveryIds[0] as string))?.run).toBe(2);

    const paused = await post(`/dashboard/destinations/${destination.id}/pause`, { csrf });
    expect(decodeURIComponent(paused.headers.get('location') ?? '')).toContain('is PAUSED');
    expect(await get('/dashboard/destinations')).toContain('data-status="PAUSED"');
  });
});
