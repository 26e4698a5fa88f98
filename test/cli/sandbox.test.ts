import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeKey } from '../../src/protocol/keys.js';
import { cli } from '../helpers/cli.js';
import { FIXTURES } from '../helpers/fixtures.js';

describe('authnotify sandbox (CLI)', () => {
  it('runs as a process, prints its URL and Alipay public key, and stops on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'authnotify-sandbox-cli-'));
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'sandbox',
        '--port',
        '0',
        '--database',
        join(dir, 's.db'),
        '--keys-dir',
        join(dir, 'keys'),
        '--client-id',
        'SANDBOX_CLI',
        '--merchant-public-key',
        `${FIXTURES}keys/alipay-v2.public.pem`,
        '--json',
      ],
      { cwd: new URL('../..', import.meta.url).pathname, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out.split('\n')[0] as string);
      });
      child.on('exit', (code) => reject(new Error(`sandbox exited early with ${code}`)));
    });
    const { url, alipayPublicKey } = JSON.parse(line) as { url: string; alipayPublicKey: string };
    expect(describeKey(alipayPublicKey)).toMatchObject({ kind: 'public', bits: 2048 });
    expect(((await (await fetch(`${url}/sandbox/v1/info`)).json()) as { clientId: string }).clientId).toBe(
      'SANDBOX_CLI',
    );
    const exit = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
  }, 30_000);

  it.each([
    ['a missing merchant key', ['sandbox', '--client-id', 'C'], /merchant-public-key/],
    [
      'a bad time scale',
      [
        'sandbox',
        '--client-id',
        'C',
        '--merchant-public-key',
        `${FIXTURES}keys/alipay-v2.public.pem`,
        '--time-scale',
        'fast',
      ],
      /must be a positive number/,
    ],
    [
      'a bad notify URL',
      [
        'sandbox',
        '--client-id',
        'C',
        '--merchant-public-key',
        `${FIXTURES}keys/alipay-v2.public.pem`,
        '--notify-url',
        'merchant',
      ],
      /is not a URL/,
    ],
  ])('exits 2 for %s', async (_name, argv, message) => {
    const run = await cli(argv);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(message);
  });
});
