import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toNodeHandler } from '../../src/adapters/node-http.js';
import { cli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { CLIENT_ID, testReceiver } from '../helpers/receiver.js';

let ackUrl: string;
let failUrl: string;
const servers: Server[] = [];
let target: Awaited<ReturnType<typeof testReceiver>>;

async function listen(server: Server): Promise<string> {
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/alipay/notify/authorization`;
}

beforeAll(async () => {
  target = await testReceiver({ clock: { now: () => Date.now() } });
  ackUrl = await listen(createServer(toNodeHandler(target.receiver)));
  failUrl = await listen(createServer((_req, res) => res.writeHead(503).end('busy')));
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

const key = `${FIXTURES}keys/alipay-v1.private.pem`;

describe('authnotify send', () => {
  it('delivers to a real receiver, prints the attempt and exits 0', async () => {
    const run = await cli([
      'send',
      'TOKEN_CANCELED',
      '--to',
      ackUrl,
      '--client-id',
      CLIENT_ID,
      '--private-key',
      key,
      '--key-version',
      '1',
      '--reason',
      'bye',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^#1 \S+ HTTP 200 acknowledged\nacknowledged after 1 attempt\(s\)\n$/);
    const [row] = (await target.store.listInbox({ type: 'TOKEN_CANCELED', limit: 1 })).items;
    expect(row?.status).toBe('PENDING');
  });

  it('fills plausible values for every type the receiver accepts', async () => {
    for (const type of ['AUTHCODE_CREATED', 'TOKEN_CREATED']) {
      const run = await cli([
        'send',
        type,
        '--to',
        ackUrl,
        '--client-id',
        CLIENT_ID,
        '--private-key',
        key,
        '--json',
      ]);
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout.trim().split('\n').pop() as string)).toEqual({
        status: 'ACKNOWLEDGED',
        attempts: 1,
      });
    }
    expect((await target.store.listInbox({ status: 'QUARANTINED', limit: 5 })).items).toHaveLength(0);
  });

  it('retries on its schedule and exits 1 when exhausted', async () => {
    const run = await cli([
      'send',
      'TOKEN_CANCELED',
      '--to',
      failUrl,
      '--client-id',
      CLIENT_ID,
      '--private-key',
      key,
      '--schedule',
      '0s,20ms,20ms',
    ]);
    expect(run.code).toBe(1);
    const lines = run.stdout.trim().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^#1 .* HTTP 503 not acknowledged \(NOT_2XX, answered "busy"\); next attempt in 20ms$/,
    );
    expect(lines[2]).toMatch(/^#3 .* schedule exhausted$/);
    expect(lines[3]).toBe('not acknowledged after 3 attempt(s)');
  });

  it('shows the result a receiver refused with, and warns before a schedule that runs for a day', async () => {
    const run = await cli([
      'send',
      'TOKEN_CANCELED',
      '--to',
      ackUrl,
      '--client-id',
      'NOT_THE_CLIENT',
      '--private-key',
      key,
      '--schedule',
      '0s,24h',
      '--time-scale',
      '100000',
    ]);
    expect(run.stderr).toBe('');
    const first = run.stdout.split('\n')[0] as string;
    expect(first).toMatch(
      /^#1 .* HTTP 401 not acknowledged \(NOT_2XX, answered resultCode CLIENT_ID_MISMATCH, resultStatus F: .+\); next attempt in/,
    );
    const warned = await cli([
      'send',
      'TOKEN_CANCELED',
      '--to',
      ackUrl,
      '--client-id',
      CLIENT_ID,
      '--private-key',
      key,
    ]);
    expect(warned.code).toBe(0);
    expect(warned.stderr).toMatch(/^note: this schedule runs for 24h ?22m.*--time-scale 3600/);
  });

  // A command line that would send, so each case shows only what it breaks.
  const toNowhere = (...flags: string[]) => [
    'send',
    'TOKEN_CANCELED',
    '--to',
    'http://127.0.0.1:1/',
    '--client-id',
    'C',
    '--private-key',
    key,
    ...flags,
  ];

  it.each([
    [
      'an unknown type',
      ['send', 'TOKEN_REFRESHED', '--to', 'http://127.0.0.1:1/', '--client-id', 'C', '--private-key', key],
      /not a notification type/,
    ],
    ['a bad schedule', toNowhere('--schedule', '2 minutes'), /not a duration/],
    ['a bad time scale', toNowhere('--time-scale', '0'), /must be a positive number/],
    [
      'a public key to sign with',
      [
        'send',
        'TOKEN_CANCELED',
        '--to',
        'http://127.0.0.1:1/',
        '--client-id',
        'C',
        '--private-key',
        `${FIXTURES}keys/alipay-v1.public.pem`,
      ],
      /expected a private key/,
    ],
    ['a missing --to', ['send', 'TOKEN_CANCELED', '--client-id', 'C', '--private-key', key], /--to/],
    [
      'a --to that is not a URL',
      ['send', 'TOKEN_CANCELED', '--to', 'merchant.example', '--client-id', 'C', '--private-key', key],
      /is not a URL/,
    ],
  ])('exits 2 for %s', async (_name, argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
