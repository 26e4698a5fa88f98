/**
 * The structured logger every layer writes to. Fields never include tokens, keys or signatures;
 * userLoginId is masked before it reaches a logger.
 */

export type LogFields = Record<string, unknown>;

/**
 * Structured logger (pino's shape: fields first, then the message).
 *
 * @example
 * const logger: Logger = pino();
 */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

/** A logger that drops everything. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/**
 * A logger on `console` (every runtime has one): one line per entry, `authnotify <level>: <message>`
 * and the fields as JSON, entries below `level` dropped. The receiver's default, at `warn`, so that a
 * rejected or unstorable notification is never silent.
 *
 * @example
 * const receiver = await createReceiver({ ...options, logger: consoleLogger({ level: 'info' }) });
 */
export function consoleLogger(options: { level?: LogLevel } = {}): Logger {
  const min = RANK[options.level ?? 'warn'];
  const write = (level: LogLevel, fields: LogFields, message: string) => {
    if (RANK[level] < min) return;
    let detail = '';
    try {
      detail = Object.keys(fields).length === 0 ? '' : ` ${JSON.stringify(fields)}`;
    } catch {
      detail = ' (fields could not be serialized)';
    }
    const line = `authnotify ${level}: ${message}${detail}`;
    if (level === 'error') console.error(line);
    else if (level === 'warn') console.warn(line);
    else console.log(line);
  };
  return {
    debug: (fields, message) => write('debug', fields, message),
    info: (fields, message) => write('info', fields, message),
    warn: (fields, message) => write('warn', fields, message),
    error: (fields, message) => write('error', fields, message),
  };
}
