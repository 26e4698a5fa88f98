/**
 * The integration examples in examples/ (the ones the guides show) run as they are: each in its own process,
 * configured through the environment, receiving one real signed notification over HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signNotification } from '../../src/testing/index.js';
import { fixtureText } from '../helpers/fixtures.js';
import { accepting, freePort } from '../helpers/net.js';
import { OK } from '../helpers/receiver.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const built = existsSync(join(ROOT, 'dist/index.js'));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGTERM');
});

describe.skipIf(!built)('examples run as shown in the guides', () => {
  it.each(['express.ts', 'fastify.ts', 'hono.ts', 'node-http.ts', 'nextjs-server.ts'])(
    'examples/%s acknowledges a signed notification',
    async (file) => {
      const port = await freePort();
      const child = spawn(process.execPath, ['--import', TSX, join(ROOT, 'examples', file)], {
        cwd: mkdtempSync(join(tmpdir(), 'authnotify-example-')), // the example's ./authnotify.db goes here
        env: {
          ...process.env,
          PORT: String(port),
          ALIPAY_CLIENT_ID: 'SANDBOX_EXAMPLE',
          ALIPAY_PUBLIC_KEY: fixtureText('keys/alipay-v1.public.pem'),
          AUTHNOTIFY_SECRET_KEY: 'e'.repeat(64),
        },
        stdio: 'ignore',
      });
      children.push(child);
      await accepting(port);
      const signed = await signNotification({
        notification: { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: `T-${file}`, result: OK },
        clientId: 'SANDBOX_EXAMPLE',
        privateKey: fixtureText('keys/alipay-v1.private.pem'),
      });
      const response = await fetch(`http://127.0.0.1:${port}${signed.path}`, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
      expect(response.status).toBe(200);
      expect(await response.text()).toBe(
        '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}',
      );
    },
    40_000,
  );
});
