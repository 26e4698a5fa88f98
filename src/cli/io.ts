/** What a command may touch, injected so commands run in-process in tests. */
export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<Uint8Array>;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** Per-run state a command can set: its exit code. */
export interface CliContext {
  io: CliIo;
  exitCode: number;
}

/** Exit codes shared by every command. */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2 } as const;

/** A usage error: the command line is wrong. Exits 2 with the message and a pointer to --help. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/**
 * Reads a `--port` flag. `max` is lower for commands that also bind the ports after it.
 * @example const port = portFlag(flags.port); // throws UsageError for "http" or "70000"
 */
export function portFlag(text: string, max = 65535): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > max)
    throw new UsageError(`--port "${text}" is not a usable port (0 to ${max})`);
  return port;
}

/**
 * Reads a `--time-scale` flag: how many times faster than real time the retry schedule runs.
 * @example const timeScale = timeScaleFlag(flags.timeScale); // "60" -> 60; "0" throws UsageError
 */
export function timeScaleFlag(text: string): number {
  const timeScale = Number(text);
  if (!(timeScale > 0)) throw new UsageError(`--time-scale "${text}" must be a positive number`);
  return timeScale;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return new Uint8Array(Buffer.concat(chunks));
    },
    env: process.env,
    cwd: process.cwd(),
  };
}

/** Resolves after SIGTERM or SIGINT, once `close` has finished: long-running commands end gracefully. */
export function runUntilSignal(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void close().then(resolve);
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}
