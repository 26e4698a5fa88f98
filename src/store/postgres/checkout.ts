/** Checking a connection out of the pool for a transaction, and giving it back. */
import type pg from 'pg';
import { storeError } from '../rows.js';

export interface CheckedOut {
  client: pg.PoolClient;
  /** Gives the connection back; after a failure (`failed` set) it is destroyed, not reused. */
  done: (failed?: unknown) => void;
}

/**
 * A pooled connection for a transaction. A checked-out client whose connection dies (a server restart,
 * pg_terminate_backend) emits 'error', which with no listener would end the process; this one records
 * it, and `done` destroys such a client instead of returning it to the pool.
 */
export async function checkout(pool: pg.Pool, what: string): Promise<CheckedOut> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw storeError(error, what);
  }
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  return {
    client,
    done: (failed) => {
      client.off('error', onError);
      // After a failed transaction the connection may be the reason: do not hand it out again.
      client.release(broken ?? (failed === undefined ? undefined : new Error('transaction failed')));
    },
  };
}
