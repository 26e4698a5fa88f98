import { type ChildProcess, spawn } from 'node:child_process';
import { FIXTURES } from './fixtures.js';
import { CLIENT_ID } from './receiver.js';

/** The arguments every test serve needs: a free port, the fixture client id and Alipay key, quiet logs. */
export function serveArgs(database: string, ...extra: string[]): string[] {
  return [
    '--port',
    '0',
    '--database',
    database,
    '--client-id',
    CLIENT_ID,
    '--alipay-public-key',
    `1=${FIXTURES}keys/alipay-v1.public.pem`,
    '--json',
    '--log-level',
    'warn',
    ...extra,
  ];
}

export interface CliProcess {
  child: ChildProcess;
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves with stdout's lines once `n` have been written; rejects after `timeoutMs`. */
  lines(n: number, timeoutMs?: number): Promise<string[]>;
  /** The first line on stdout (serve's `--json` line), or rejects when the process exits first. */
  firstLine: Promise<string>;
  /** The exit code; rejects after `timeoutMs` (and kills the process) if it has not exited. */
  exited(timeoutMs?: number): Promise<number | null>;
}

/**
 * Runs `authnotify <args>` as its own process (what a user runs), from the sources.
 * @example const run = runCliProcess(['serve', ...serveArgs(db)]); const { url } = JSON.parse(await run.firstLine);
 */
export function runCliProcess(args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  const stdoutLines = () => stdout.split('\n').slice(0, -1);
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    void exit.then((code) => reject(new Error(`exited with ${code} before printing: ${stderr}`)));
  });
  firstLine.catch(() => undefined);
  return {
    child,
    stderr: () => stderr,
    stdout: () => stdout,
    lines: async (n, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      while (stdoutLines().length < n) {
        if (Date.now() > deadline || child.exitCode !== null)
          throw new Error(`got ${stdoutLines().length} of ${n} lines: ${stdout}\nstderr: ${stderr}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 200);
          child.stdout?.once('data', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return stdoutLines().slice(0, n);
    },
    firstLine,
    exited: (timeoutMs = 20_000) =>
      Promise.race([
        exit,
        new Promise<never>((_, reject) =>
          setTimeout(() => {
            child.kill('SIGKILL');
            reject(new Error(`still running after ${timeoutMs} ms (it hangs): ${stderr}`));
          }, timeoutMs).unref(),
        ),
      ]),
  };
}
