/** The merchant process of the crash tests, and sending to it the way Alipay does (a reset is a retry). */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import type { SignedNotification } from '../../src/testing/index.js';

const ROOT = new URL('../..', import.meta.url).pathname;

/** Starts crash-child.ts on `database`; resolves with its URL once it listens. */
export function startChild(
  database: string,
  log: string,
  portFile: string,
  env: NodeJS.ProcessEnv = {},
): Promise<{ child: ChildProcess; url: string }> {
  rmSync(portFile, { force: true });
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'test/reliability/crash-child.ts', database, log, portFile],
    { cwd: ROOT, stdio: 'ignore', env: { ...process.env, ...env } },
  );
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (existsSync(portFile) && readFileSync(portFile, 'utf8') !== '') {
        clearInterval(poll);
        resolve({ child, url: `http://127.0.0.1:${readFileSync(portFile, 'utf8')}` });
      } else if (Date.now() - started > 20_000) {
        clearInterval(poll);
        reject(new Error('the merchant process did not start'));
      }
    }, 20);
  });
}

/** True when the notification was acknowledged. */
export async function send(url: string, n: SignedNotification): Promise<boolean> {
  try {
    const response = await fetch(`${url}${n.path}`, {
      method: 'POST',
      headers: n.headers,
      body: n.body,
      signal: AbortSignal.timeout(3000),
    });
    const text = await response.text();
    return response.status === 200 && text.includes('"resultStatus":"S"');
  } catch {
    return false; // connection reset by the kill: Alipay would retry
  }
}
