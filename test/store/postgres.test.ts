import { afterAll } from 'vitest';
import { createPostgresStore } from '../../src/store/postgres/index.js';
import { dropSchema, freshSchema, PG_URL, pgSkipReason } from '../helpers/postgres.js';
import { runStoreContract } from './contract.js';

const schema = freshSchema();
runStoreContract(
  'PostgreSQL',
  () => createPostgresStore({ connectionString: PG_URL, schema }),
  () => pgSkipReason,
);
afterAll(async () => {
  if (!pgSkipReason) await dropSchema(schema);
});
