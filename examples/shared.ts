// One receiver, shared by the framework examples. Configuration comes from the environment.
import { nodeDefaults } from 'authnotify';
import { createReceiver } from 'authnotify/receiver';
import { createSqliteStore } from 'authnotify/store/sqlite';

export async function makeReceiver() {
  const receiver = await createReceiver({
    ...nodeDefaults,
    clientId: process.env.ALIPAY_CLIENT_ID ?? 'SANDBOX_5YEZ47',
    alipayPublicKeys: process.env.ALIPAY_PUBLIC_KEY ?? '',
    secretKey: process.env.AUTHNOTIFY_SECRET_KEY ?? '',
    store: await createSqliteStore({ path: './authnotify.db' }),
  });
  receiver.on('TOKEN_CANCELED', async ({ notification, authorization }) => {
    // Runs after the ack, at least once: make it idempotent (event.id is stable across retries).
    console.log('authorization canceled', authorization?.id, notification.reason);
  });
  receiver.start();
  return receiver;
}
