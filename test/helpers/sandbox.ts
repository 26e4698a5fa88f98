import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningSandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/server.js';
import { fixtureText } from './fixtures.js';
import { CLIENT_ID } from './receiver.js';

/**
 * A sandbox on a free port with its state in a fresh temp dir, knowing the fixture merchant key (version 1)
 * for CLIENT_ID, not delivering on its own. `options` override any of that.
 */
export function startTestSandbox(options: Partial<SandboxOptions> = {}): Promise<RunningSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'authnotify-sandbox-'));
  return startSandbox({
    port: 0,
    database: join(dir, 'sandbox.db'),
    keysDir: join(dir, 'keys'),
    clientId: CLIENT_ID,
    merchantPublicKeys: { '1': fixtureText('keys/alipay-v2.public.pem') },
    deliver: false,
    ...options,
  });
}

/** The form token a person's browser would find in the sandbox's pages (every form carries it). */
export async function sandboxFormToken(sandboxUrl: string): Promise<string> {
  const html = await (await fetch(`${sandboxUrl}/sandbox/deliveries`)).text();
  const token = /name="csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error('no form token on the sandbox deliveries page');
  return token;
}
