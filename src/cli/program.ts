import { Command, CommanderError } from 'commander';
import { isAuthNotifyError } from '../protocol/errors.js';
import { registerDemo } from './commands/demo.js';
import { registerDev } from './commands/dev.js';
import { registerKeys } from './commands/keys.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerSchema } from './commands/schema.js';
import { registerSend } from './commands/send.js';
import { registerServe } from './commands/serve.js';
import { registerTail } from './commands/tail.js';
import { registerVerify } from './commands/verify.js';
import { type CliContext, type CliIo, EXIT, UsageError } from './io.js';

export const VERSION = '0.1.0';

/**
 * Runs the CLI with injected IO and returns the exit code: 0 success, 1 the operation failed
 * (e.g. a signature does not verify), 2 a usage error.
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.OK };
  const program = new Command('authnotify')
    .description('Alipay notifyAuthorization: receive, verify, store, send and test')
    .version(VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');
  registerKeys(program, ctx);
  registerVerify(program, ctx);
  registerDemo(program, ctx);
  registerServe(program, ctx);
  registerSend(program, ctx);
  registerSandbox(program, ctx);
  registerDev(program, ctx);
  registerTail(program, ctx);
  registerSchema(program, ctx);
  for (const command of program.commands.flatMap((c) => [c, ...c.commands])) command.exitOverride();
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (error instanceof UsageError) {
      io.stderr(`error: ${error.message}\n(run with --help for usage)\n`);
      return EXIT.USAGE;
    }
    if (isAuthNotifyError(error)) {
      io.stderr(`error [${error.code}]: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
      return ['KEY_INVALID', 'CONFIG_INVALID', 'PARAM_ILLEGAL'].includes(error.code)
        ? EXIT.USAGE
        : EXIT.FAILED;
    }
    // Not a mistake of the user's (those are AuthNotifyErrors above): still one line, no stack trace,
    // unless AUTHNOTIFY_DEBUG asks for it.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr(
      `error: ${message}\n${io.env.AUTHNOTIFY_DEBUG ? `${(error as Error).stack ?? ''}\n` : 'hint: set AUTHNOTIFY_DEBUG=1 for the stack trace, and please report it\n'}`,
    );
    return EXIT.FAILED;
  }
}
