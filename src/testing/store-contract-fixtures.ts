/** Rows and contexts for the store contract suite. */
import { newAuthorization } from '../authorization/record.js';
import type { AuthorizationRecord, LifecycleContext } from '../authorization/types.js';
import type { NewInboxRow, Store } from '../store/types.js';

let seq = 0;
/** A unique id with a prefix (rows of several runs share one database). */
export const uid = (p: string) => `${p}-${Date.now().toString(36)}-${(seq++).toString(36)}`;

export function inboxRow(overrides: Partial<NewInboxRow> = {}): NewInboxRow {
  const id = uid('in');
  return {
    id,
    eventKey: `TOKEN_CANCELED:${id}`,
    type: 'TOKEN_CANCELED',
    status: 'PENDING',
    rawBody: Uint8Array.of(0, 255, 1, 128, 10, 13),
    headers: { 'Client-Id': 'C', 'Request-Time': '1', Signature: 'algorithm=RSA256,signature=x' },
    path: '/alipay/notify/authorization',
    matchedPath: 'canonical',
    keyVersion: '1',
    violations: null,
    requestId: uid('req'),
    receivedAt: 1000,
    ...overrides,
  };
}

export function authorization(
  overrides: Partial<AuthorizationRecord> = {},
): Omit<AuthorizationRecord, 'version'> {
  return newAuthorization({
    id: uid('au'),
    status: 'PENDING',
    authState: uid('st'),
    merchantUserId: 'm-1',
    createdAt: 1000,
    ...overrides,
  });
}

/** A lifecycle context at `now` that creates authorizations with fresh ids. */
export function ctx(now: number): LifecycleContext {
  return { now, newId: uid('au'), inboxId: null, acceptUnknownAuthState: false };
}

/**
 * Registers the contract's tests for one store. `open` is called once for the suite and once more for
 * the close test; `skipReason` returning a string skips the suite (a server that is not running).
 */

/** Processes every due row so that a test starts from an empty queue. */
export async function drainAll(store: Store, now: number): Promise<void> {
  for (;;) {
    const rows = await store.claimInbox({ now, limit: 500, leaseMs: 1, owner: 'drain' });
    if (rows.length === 0) return;
    for (const r of rows) await store.finishInbox(r.id, 'drain', { status: 'PROCESSED', now });
  }
}
