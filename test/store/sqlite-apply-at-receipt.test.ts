import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { factsOf } from '../../src/authorization/facts.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { createThreadedSqliteStore } from '../../src/store/sqlite-thread/thread-store.js';
import type { NewInboxRow, Store } from '../../src/store/types.js';
import { inboxRow } from '../../src/testing/store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'authnotify-at-receipt-'));
const AT_RECEIPT = { applyAtReceipt: { acceptUnknownAuthState: true } } as const;
let seq = 0;

function canceled(hash: string, overrides: Partial<NewInboxRow> = {}): NewInboxRow {
  return inboxRow({
    eventKey: `TOKEN_CANCELED:${hash}`,
    facts: factsOf({ kind: 'TOKEN_CANCELED', tokenHash: hash }),
    ...AT_RECEIPT,
    ...overrides,
  });
}

function created(hash: string): NewInboxRow {
  return inboxRow({
    type: 'TOKEN_CREATED',
    eventKey: `TOKEN_CREATED:${hash}`,
    facts: factsOf({ kind: 'TOKEN_CREATED', tokenHash: hash, source: 'notification' }),
    ...AT_RECEIPT,
  });
}

/** Inserts rows in one group commit (submitted in the same turn) and answers each insert's result. */
function oneCommit(store: Store, rows: NewInboxRow[]) {
  return Promise.all(rows.map((row) => store.insertInbox(row)));
}

describe.each<[string, () => Promise<Store>]>([
  ['SQLite', () => createSqliteStore({ path: join(dir, `in-thread-${seq++}.db`) })],
  ['SQLite in a worker thread', () => createThreadedSqliteStore({ path: join(dir, `threaded-${seq++}.db`) })],
])('%s applies rows at receipt', (_name, open) => {
  it('applies a new row in its insert transaction and finishes it PROCESSED', async () => {
    const store = await open();
    const row = canceled('h-applied', { receivedAt: 5_000 });
    const [stored] = await oneCommit(store, [row]);
    expect(stored?.applied).toMatchObject({ id: row.id, outcome: 'TOMBSTONED', alreadyApplied: false });
    expect(await store.getInbox(row.id)).toMatchObject({
      status: 'PROCESSED',
      applied: true,
      attempts: 1,
      processedAt: 5_000,
    });
    expect(
      await store.applyDue({
        now: 6_000,
        limit: 10,
        types: ['TOKEN_CANCELED'],
        acceptUnknownAuthState: true,
      }),
    ).toEqual([]);
    await store.close();
  });

  it('applies the rows of one commit in their order of arrival (a cancel after its create cancels it)', async () => {
    const store = await open();
    const [create, cancel] = await oneCommit(store, [created('h-order'), canceled('h-order')]);
    expect(create?.applied?.outcome).toBe('APPLIED');
    expect(cancel?.applied?.authorizationId).toBe(create?.applied?.authorizationId);
    const authorization = await store.getAuthorization(create?.applied?.authorizationId as string);
    expect(authorization?.status).toBe('CANCELED');
    await store.close();
  });

  it.each<[string, (hash: string) => NewInboxRow]>([
    ['facts it cannot read', (hash) => canceled(hash, { facts: '{"kind":' })],
    ['a lifecycle kind it does not know', (hash) => canceled(hash, { facts: '{"kind":"NOT_A_KIND"}' })],
  ])('stores the commit and leaves its rows PENDING when one has %s', async (_what, bad) => {
    const store = await open();
    const good = canceled('h-good');
    const results = await oneCommit(store, [good, bad('h-bad')]);
    expect(results.map((r) => [r.outcome, r.applied])).toEqual([
      ['inserted', undefined],
      ['inserted', undefined],
    ]);
    for (const r of results) expect((await store.getInbox(r.id))?.status).toBe('PENDING');
    await store.close();
  });

  it.each<[string, Partial<NewInboxRow>]>([
    ['a quarantined row', { status: 'QUARANTINED', facts: null }],
    ['a row without applyAtReceipt', { applyAtReceipt: undefined }],
  ])('leaves %s as it was stored', async (_what, overrides) => {
    const store = await open();
    const row = canceled('h-left', overrides);
    const [stored] = await oneCommit(store, [row]);
    expect(stored?.applied).toBeUndefined();
    expect((await store.getInbox(row.id))?.status).toBe(row.status);
    await store.close();
  });
});
