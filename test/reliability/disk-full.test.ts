/**
 * SQLite on a full disk: a 1.5 MiB tmpfs fills up under the receiver. While it is full every answer is 503
 * with resultStatus U (Alipay retries), never 200 for something not stored; acknowledged notifications all
 * survive, the database passes integrity_check, and the receiver recovers without a restart once there is
 * room again. Needs root to mount the tmpfs; skips with the reason otherwise.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { createThreadedSqliteStore } from '../../src/store/sqlite-thread/thread-store.js';
import type { Store } from '../../src/store/types.js';
import { OK, testReceiver } from '../helpers/receiver.js';

/** A fresh 1.5 MiB tmpfs per case; undefined where it cannot be mounted. */
function mountSmallTmpfs(): string | undefined {
  const mountPoint = mkdtempSync(join(tmpdir(), 'authnotify-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1536k', 'tmpfs', mountPoint], { stdio: 'ignore' });
    mounted.push(mountPoint);
    return mountPoint;
  } catch {
    return undefined;
  }
}
const mounted: string[] = [];
const probe = mountSmallTmpfs();
/** The probe's mount is the first case's; later cases mount their own. */
const spare = probe === undefined ? [] : [probe];
const skipReason = probe === undefined ? 'cannot mount a small tmpfs here (needs root)' : undefined;
if (skipReason) console.warn(`skipping the full-disk test: ${skipReason}`);

afterAll(() => {
  for (const mountPoint of mounted) execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
});

// serve keeps the connection in a worker thread; embedders may use the store on their own thread.
const stores: [string, (path: string) => Promise<Store>][] = [
  ['on the receiving thread', (path) => createSqliteStore({ path })],
  ['in a worker thread', (path) => createThreadedSqliteStore({ path })],
];

describe.each(stores)('SQLite on a full disk (%s)', (_name, open) => {
  it.skipIf(skipReason !== undefined)(
    'answers 503 U while full, loses nothing acknowledged, stays consistent, recovers without a restart',
    async () => {
      const mountPoint = spare.pop() ?? mountSmallTmpfs();
      if (mountPoint === undefined) throw new Error('could not mount another small tmpfs');
      const path = join(mountPoint, 'full.db');
      const store = await open(path);
      const t = await testReceiver({ clock: { now: () => Date.now() } }, store);
      const acked: string[] = [];
      const statuses = new Map<number, number>();
      let full = 0;
      for (let i = 0; i < 20_000 && full < 5; i++) {
        const token = `disk-${i}-${'p'.repeat(100)}`;
        const response = await t.send({
          authorizationNotifyType: 'TOKEN_CANCELED',
          accessToken: token,
          reason: 'r'.repeat(200),
          result: OK,
        });
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        if (response.status === 200) acked.push(token);
        else {
          expect(response.status).toBe(503);
          expect(await response.json()).toMatchObject({ result: { resultStatus: 'U' } });
          full++;
        }
      }
      expect(full).toBe(5);
      expect(acked.length).toBeGreaterThan(20);
      // Every acknowledged notification is there.
      const keys = new Set((await t.store.listInbox({ limit: 200 })).items.map((r) => r.eventKey));
      for (const token of acked)
        expect(keys.has(`TOKEN_CANCELED:${await t.receiver.secrets.tokenHash(token)}`)).toBe(true);
      const counts = await t.store.countInbox();
      expect(counts.PENDING + counts.PROCESSED).toBe(acked.length);
      // Room again: the same receiver, no restart, stores and acknowledges.
      execFileSync('mount', ['-o', 'remount,size=16m', mountPoint]);
      const after = await t.send({
        authorizationNotifyType: 'TOKEN_CANCELED',
        accessToken: 'disk-after',
        result: OK,
      });
      expect(after.status).toBe(200);
      await store.close();
      const db = new Database(path, { readonly: true });
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db.prepare('SELECT COUNT(*) AS n FROM inbox').get() as { n: number }).n).toBe(acked.length + 1);
      db.close();
      console.log(
        `disk full: ${acked.length} acknowledged before the disk filled; answers ${[...statuses].map(([s, n]) => `${s}×${n}`).join(' ')}`,
      );
    },
    120_000,
  );
});
