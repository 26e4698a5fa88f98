/**
 * The consumers of the "Receive authnotify events in your app" guide run as they are, each in its own
 * process: the forwarder delivers real events to them, and a changed body, another secret or an old
 * timestamp is refused. Python runs with the standard library (the Standard Webhooks package is not
 * installable here); Java with the JDK.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret, webhookHeaders } from '../../src/events/standard-webhooks.js';
import { createForwarder } from '../../src/sender/forwarder.js';
import { createMemoryStore } from '../../src/testing/memory-store.js';
import { accepting, freePort } from '../helpers/net.js';

const ROOT = new URL('../..', import.meta.url).pathname;
const TSX = join(ROOT, 'node_modules/tsx/dist/loader.mjs');
const built = existsSync(join(ROOT, 'dist/index.js'));
const has = (command: string, ...args: string[]) => {
  try {
    execFileSync(command, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

const consumers: [string, string[], boolean][] = [
  [
    'Node, authnotify/events (Express)',
    [process.execPath, '--import', TSX, 'examples/events/express-consumer.ts'],
    built,
  ],
  [
    'Node, the standardwebhooks library',
    [process.execPath, '--import', TSX, 'examples/events/standardwebhooks-consumer.ts'],
    true,
  ],
  ['Python, standard library', ['python3', 'examples/events/consumer.py'], has('python3', '--version')],
  ['Java, JDK only', ['java', 'examples/events/Consumer.java'], has('java', '-version')],
];

describe('the event consumers in the guide', () => {
  it.each(consumers)(
    '%s: takes forwarded events and refuses forged ones',
    async (_name, command, available) => {
      if (!available) return; // the runtime is not installed here: the test says nothing about it
      const port = await freePort();
      const secret = generateWebhookSecret();
      let output = '';
      const child = spawn(command[0] as string, command.slice(1), {
        cwd: ROOT,
        env: { ...process.env, PORT: String(port), AUTHNOTIFY_WEBHOOK_SECRET: secret },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      child.stdout?.on('data', (d: Buffer) => {
        output += d.toString();
      });
      children.push(child);
      await accepting(port);
      const url = `http://127.0.0.1:${port}/authnotify/events`;

      // Real events, through the forwarder.
      const store = createMemoryStore();
      const destination = await store.events.createDestination({
        id: 'dst-guide',
        url,
        description: null,
        types: null,
        secrets: [{ sealed: secret, createdAt: Date.now(), expiresAt: null }],
        source: 'api',
        createdAt: Date.now(),
      });
      const now = Date.now();
      await store.applyEvent(
        { lookup: { tokenHash: 'h-guide' }, timelineId: 'evt-guide-1', now },
        { kind: 'TOKEN_CREATED', tokenHash: 'h-guide', source: 'notification' },
        { now, newId: 'au-guide', inboxId: null, acceptUnknownAuthState: true },
      );
      await store.applyEvent(
        { lookup: { tokenHash: 'h-guide' }, timelineId: 'evt-guide-2', now: now + 1 },
        { kind: 'TOKEN_CANCELED', tokenHash: 'h-guide', reason: 'closed' },
        { now: now + 1, newId: 'x', inboxId: null, acceptUnknownAuthState: false },
      );
      const forwarder = createForwarder({ store, openSecret: async (s) => s, timeoutMs: 5000 });
      expect(await forwarder.runOnce()).toBe(2);
      await forwarder.close();
      const deliveries = (await store.events.listDeliveries({ destinationId: destination.id, limit: 10 }))
        .items;
      expect(deliveries.map((d) => d.status)).toEqual(['DELIVERED', 'DELIVERED']);
      expect(output).toContain('authorization.activated');
      expect(output).toContain('authorization.canceled');

      // Forgeries.
      const body = JSON.stringify({
        type: 'authorization.revoked',
        timestamp: new Date().toISOString(),
        data: { id: 'au-guide' },
      });
      const post = async (headers: Record<string, string>, payload = body) =>
        (
          await fetch(url, {
            method: 'POST',
            headers: { ...headers, 'content-type': 'application/json' },
            body: payload,
          })
        ).status;
      const good = await webhookHeaders({ id: 'evt-forged', at: Date.now(), body, secrets: [secret] });
      expect(await post(good, `${body} `)).toBe(400); // the body changed on the way
      expect(
        await post(
          await webhookHeaders({
            id: 'evt-forged',
            at: Date.now(),
            body,
            secrets: [generateWebhookSecret()],
          }),
        ),
      ).toBe(400);
      expect(
        await post(
          await webhookHeaders({ id: 'evt-forged', at: Date.now() - 10 * 60_000, body, secrets: [secret] }),
        ),
      ).toBe(400);
      expect(await post({ 'webhook-id': 'evt-forged' })).toBe(400);
      expect(output).not.toContain('authorization.revoked');
    },
    60_000,
  );
});
