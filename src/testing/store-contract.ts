/**
 * The Store contract: every implementation — SQLite, the threaded SQLite, PostgreSQL, in memory, and
 * yours — runs exactly these tests. Published as `authnotify/testing/store-contract` (it needs vitest).
 *
 * @example
 * // my-store.test.ts
 * import { runStoreContract } from 'authnotify/testing/store-contract';
 * runStoreContract('my store', () => openMyStore());
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LATEST_SCHEMA_VERSION } from '../store/schema.js';
import type { Store } from '../store/types.js';
import { dueContract } from './store-contract-due.js';
import { eventsContract } from './store-contract-events.js';
import { inboxRow } from './store-contract-fixtures.js';
import { inboxContract } from './store-contract-inbox.js';
import { lifecycleContract } from './store-contract-lifecycle.js';
import { outboxContract } from './store-contract-outbox.js';

export { authorization, inboxRow } from './store-contract-fixtures.js';

/**
 * Registers the contract's tests for one store. `open` is called once for the suite and once more for
 * the close test; `skipReason` returning a string skips the suite (a server that is not running).
 */
export function runStoreContract(
  name: string,
  open: () => Promise<Store | undefined>,
  skipReason: () => string | undefined = () => undefined,
): void {
  describe.skipIf(skipReason() !== undefined)(`Store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = (await open()) as Store;
    });
    afterAll(async () => {
      await store?.close();
    });

    it('is migrated to the latest schema, and migrating again applies nothing', async () => {
      expect(await store.schemaVersion()).toBe(LATEST_SCHEMA_VERSION);
      expect(await store.migrate(2000)).toEqual([]);
      await expect(store.ping()).resolves.toBeUndefined();
      expect(await store.hasData()).toBe(false);
    });

    it('keeps the first value claimed for a setting, across callers', async () => {
      expect(await store.getSetting('contract_setting')).toBeUndefined();
      const answers = await Promise.all([
        store.claimSetting('contract_setting', 'first', 1000),
        store.claimSetting('contract_setting', 'second', 1001),
      ]);
      expect(answers[0]).toBe(answers[1]);
      expect(await store.claimSetting('contract_setting', 'third', 1002)).toBe(answers[0]);
      expect(await store.getSetting('contract_setting')).toBe(answers[0]);
      expect(await store.hasData()).toBe(false); // settings are not data
    });

    inboxContract(() => store);
    lifecycleContract(() => store);
    dueContract(() => store);
    outboxContract(() => store);
    eventsContract(() => store);

    it('answers STORE_UNAVAILABLE once closed', async () => {
      const other = (await open()) as Store;
      await other.close();
      await expect(other.insertInbox(inboxRow())).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
      await expect(other.ping()).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    });
  });
}
