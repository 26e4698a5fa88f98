import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { inboxRow, runStoreContract } from './contract.js';

const dir = mkdtempSync(join(tmpdir(), 'authnotify-sqlite-'));
runStoreContract(
  'SQLite (file, WAL, synchronous=FULL)',
  () => createSqliteStore({ path: join(dir, 'contract.db') }),
  () => undefined,
);
runStoreContract(
  'SQLite (:memory:)',
  () => createSqliteStore({ path: ':memory:' }),
  () => undefined,
);

describe('SQLite durability settings', () => {
  it('acknowledged inserts commit with synchronous=FULL, and processing writes leave it at FULL', async () => {
    const store = await createSqliteStore({ path: join(dir, 'sync.db') });
    expect(store.synchronousLevel()).toBe(2);
    await store.insertInbox(inboxRow({ receivedAt: 1 }));
    const [row] = await store.claimInbox({ now: 10, limit: 5, leaseMs: 1000, owner: 'A' });
    expect(store.synchronousLevel()).toBe(2);
    await store.finishInboxMany([
      { id: row?.id as string, owner: 'A', finish: { status: 'PROCESSED', now: 11 } },
    ]);
    expect(store.synchronousLevel()).toBe(2);
    await store.close();
  });
});
