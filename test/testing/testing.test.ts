import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/adapters/node-http.js';
import { ManualClock } from '../../src/protocol/clock.js';
import { createSecrets, type Secrets } from '../../src/receiver/secrets.js';
import { createSender } from '../../src/sender/sender.js';
import { createMemoryStore, spyOnDeliveries, spyOnProcessed } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { CLIENT_ID, OK, START, testReceiver } from '../helpers/receiver.js';

const canceled = (accessToken: string) => ({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken,
  reason: 'user left',
  result: OK,
});

describe('authnotify/testing', () => {
  it('runs a whole receiver on the in-memory store, and a spy awaits the processed notification', async () => {
    const t = await testReceiver({}, createMemoryStore());
    const spy = spyOnProcessed(t.receiver);
    expect((await t.send(canceled('T-memory'))).status).toBe(200);
    expect((await t.send(canceled('T-memory'))).status).toBe(200); // a duplicate, stored once
    const waiting = spy.waitFor('TOKEN_CANCELED', (e) => e.notification.accessToken === 'T-memory');
    expect(await t.receiver.drain()).toBe(1);
    const event = await waiting;
    expect(event).toMatchObject({ type: 'TOKEN_CANCELED', outcome: 'TOMBSTONED' });
    expect(spy.events).toHaveLength(1);
    const [row] = (await t.store.listInbox({ limit: 5 })).items;
    expect(row).toMatchObject({ status: 'PROCESSED', duplicates: 1, applied: true });
    // an event that already happened resolves at once
    await expect(spy.waitFor('TOKEN_CANCELED')).resolves.toBe(event);
    spy.stop();
  });

  it('rejects a wait that is never met, naming what it saw', async () => {
    const t = await testReceiver({}, createMemoryStore());
    const spy = spyOnProcessed(t.receiver);
    await t.send(canceled('T-other'));
    await t.receiver.drain();
    await expect(spy.waitFor('AUTHCODE_CREATED', undefined, 20)).rejects.toThrow(
      /no AUTHCODE_CREATED matched; seen: TOKEN_CANCELED/,
    );
  });

  it('hashes the access token once per notification, when it is received', async () => {
    let hashes = 0;
    const counting = async (key: string | Uint8Array): Promise<Secrets> => {
      const inner = await createSecrets(key);
      return {
        ...inner,
        tokenHash: (token) => {
          hashes++;
          return inner.tokenHash(token);
        },
      };
    };
    const t = await testReceiver({ secretsFactory: counting }, createMemoryStore());
    await t.send(canceled('T-once'));
    expect(hashes).toBe(1);
    await t.receiver.drain();
    expect(hashes).toBe(1); // the processor read the hash back from the row's event key
    expect((await t.store.listInbox({ limit: 1 })).items[0]?.outcome).toBe('TOMBSTONED');
  });

  it('awaits a delivery until the receiver acknowledged it', async () => {
    const target = await testReceiver({}, createMemoryStore());
    const http = createServer(toNodeHandler(target.receiver));
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    const spy = spyOnDeliveries();
    const sender = await createSender({
      store: createMemoryStore(),
      clientId: CLIENT_ID,
      privateKey: fixtureText('keys/alipay-v1.private.pem'),
      keyVersion: '1',
      clock: new ManualClock(START),
      timeoutMs: 2000,
      onAttempt: spy.onAttempt,
    });
    try {
      const to = `http://127.0.0.1:${(http.address() as AddressInfo).port}/alipay/notify/authorization`;
      const id = await sender.enqueue({ notification: canceled('T-sent'), to });
      const acknowledged = spy.waitFor(id, 'ACKNOWLEDGED');
      expect(await sender.runOnce()).toBe(1);
      expect(await acknowledged).toMatchObject({ attempt: { verdict: 'ACKNOWLEDGED', httpStatus: 200 } });
      await expect(spy.waitFor(id, 'EXHAUSTED', 20)).rejects.toThrow(
        /did not reach EXHAUSTED; its attempts: ACKNOWLEDGED→ACKNOWLEDGED/,
      );
    } finally {
      await sender.close();
      await new Promise((r) => http.close(r));
    }
  });
});
