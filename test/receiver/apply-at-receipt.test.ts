import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { InboxInsertResult, NewInboxRow, Store } from '../../src/store/types.js';
import { OK, recordingLogger, testReceiver } from '../helpers/receiver.js';

const canceled = (token: string) => ({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken: token,
  result: OK,
});

/** A SQLite store that keeps what each insert was asked and answered. */
async function recordedStore() {
  const inner = await createSqliteStore({ path: ':memory:' });
  const inserts: { row: NewInboxRow; result: InboxInsertResult }[] = [];
  const store = new Proxy(inner, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (name !== 'insertInbox') return typeof value === 'function' ? value.bind(target) : value;
      return async (row: NewInboxRow) => {
        const result = await target.insertInbox(row);
        inserts.push({ row, result });
        return result;
      };
    },
  }) as Store;
  return { store, inserts };
}

describe('applying a notification with its insert', () => {
  it('applies it at receipt while the processor runs and nothing waits for its type', async () => {
    const { store, inserts } = await recordedStore();
    const processed: (string | null)[] = [];
    const t = await testReceiver({ observer: { processed: (_o, type) => processed.push(type) } }, store);
    t.receiver.start();
    try {
      expect((await t.send(canceled('tok-at-receipt'))).status).toBe(200);
    } finally {
      await t.receiver.stop();
    }
    expect(inserts.map((i) => [i.row.applyAtReceipt, i.result.applied?.outcome])).toEqual([
      [{ acceptUnknownAuthState: false }, 'TOMBSTONED'],
    ]);
    expect(await store.getInbox(inserts[0]?.result.id as string)).toMatchObject({
      status: 'PROCESSED',
      outcome: 'TOMBSTONED',
    });
    expect(processed).toEqual(['TOKEN_CANCELED']);
  });

  it.each([
    { name: 'a handler waits for its type', handler: true, running: true },
    { name: 'the processor is not running', handler: false, running: false },
  ])('leaves it to the processor when $name', async ({ handler, running }) => {
    const { store, inserts } = await recordedStore();
    const t = await testReceiver({}, store);
    const seen: string[] = [];
    if (handler) t.receiver.on('TOKEN_CANCELED', (e) => void seen.push(e.id));
    if (running) t.receiver.start();
    try {
      expect((await t.send(canceled('tok-left'))).status).toBe(200);
    } finally {
      await t.receiver.stop();
    }
    expect(inserts.map((i) => [i.row.applyAtReceipt, i.result.applied])).toEqual([[undefined, undefined]]);
    await t.receiver.drain();
    const id = inserts[0]?.result.id as string;
    expect(await store.getInbox(id)).toMatchObject({ status: 'PROCESSED', outcome: 'TOMBSTONED' });
    expect(seen).toEqual(handler ? [id] : []);
  });

  it('warns once about an authState that matches no consult, as the processor would', async () => {
    const { logger, seen } = recordingLogger();
    const { store } = await recordedStore();
    const t = await testReceiver({ logger }, store);
    t.receiver.start();
    try {
      const created = {
        authorizationNotifyType: 'TOKEN_CREATED',
        accessToken: 'tok-unknown-state',
        authState: 'state-nobody-asked-for',
        result: OK,
      };
      expect((await t.send(created)).status).toBe(200);
    } finally {
      await t.receiver.stop();
    }
    expect(seen.warn.filter((l) => l.includes('authState matches no consult'))).toHaveLength(1);
  });
});
