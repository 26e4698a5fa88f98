import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import { runStoreContract } from './contract.js';

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
