import { type Clock, ManualClock } from '../../src/protocol/clock.js';
import { createReceiver, type Receiver, type ReceiverOptions } from '../../src/receiver/receiver.js';
import { createSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import {
  type SignedNotification,
  type SignNotificationInput,
  signNotification,
  toRequest,
} from '../../src/testing/index.js';
import { fixtureText } from './fixtures.js';

export const CLIENT_ID = 'SANDBOX_5YEZ47TEST';
export const SECRET = 'a'.repeat(64);
export const START = Date.parse('2026-11-23T10:00:00Z');
export const OK = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } as const;

export interface TestReceiver<C extends Clock = ManualClock> {
  receiver: Receiver;
  store: Store;
  /** The receiver's clock; `send` signs every notification with it, so Request-Time is always in its window. */
  clock: C;
  send(
    notification: Record<string, unknown> | string,
    options?: { path?: string; requestTime?: string; headers?: Record<string, string>; keyVersion?: string },
  ): Promise<Response>;
}

/**
 * Signs a notification as the fixture Alipay (CLIENT_ID, the v1 private key); `options` as signNotification's.
 */
export function signAsFixtureAlipay(
  notification: SignNotificationInput['notification'],
  options: Omit<SignNotificationInput, 'notification' | 'clientId' | 'privateKey'> = {},
): Promise<SignedNotification> {
  return signNotification({
    notification,
    clientId: CLIENT_ID,
    privateKey: fixtureText('keys/alipay-v1.private.pem'),
    ...options,
  });
}

export async function testReceiver<C extends Clock = ManualClock>(
  options: Partial<Omit<ReceiverOptions, 'clock'>> & { clock?: C } = {},
  store?: Store,
): Promise<TestReceiver<C>> {
  const clock = (options.clock ?? new ManualClock(START)) as C;
  const s = store ?? (await createSqliteStore({ path: ':memory:' }));
  const receiver = await createReceiver({
    clientId: CLIENT_ID,
    alipayPublicKeys: { '1': fixtureText('keys/alipay-v1.public.pem') },
    store: s,
    secretKey: SECRET,
    // Quiet by default here: the tests of what a receiver logs pass their own logger (or none).
    logger: false,
    ...options,
    clock,
  });
  return {
    receiver,
    store: s,
    clock,
    async send(notification, opts = {}) {
      const signed = await signAsFixtureAlipay(notification, {
        now: clock.now(),
        ...(opts.path ? { path: opts.path } : {}),
        ...(opts.requestTime ? { requestTime: opts.requestTime } : {}),
        ...(opts.keyVersion ? { keyVersion: opts.keyVersion } : {}),
      });
      const request = toRequest('http://merchant.test', {
        ...signed,
        headers: { ...signed.headers, ...(opts.headers ?? {}) },
      });
      return receiver.handle(request);
    },
  };
}

/** A logger that keeps the messages written at each level, for tests of what gets reported. */
export function recordingLogger() {
  const seen = { warn: [] as string[], error: [] as string[] };
  return {
    seen,
    logger: {
      debug() {},
      info() {},
      warn: (_fields: object, message: string) => void seen.warn.push(message),
      error: (_fields: object, message: string) => void seen.error.push(message),
    },
  };
}
