import { createMemoryStore } from '../../src/testing/memory-store.js';
import { runStoreContract } from '../../src/testing/store-contract.js';

runStoreContract('in memory (authnotify/testing)', async () => createMemoryStore());
