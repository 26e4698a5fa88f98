/**
 * A small structured logger: JSON lines for machines, `pretty` for people. Callers pass fields that never
 * contain tokens, keys or signatures; as a second line of defence, fields with those names are redacted.
 */
import type { LogFields, Logger } from '../receiver/ports.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };
const SECRET_FIELD = /token|secret|signature|password|private|authorization/i;

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  write?: (line: string) => void;
  now?: () => number;
}

function redact(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields))
    out[key] = SECRET_FIELD.test(key) && key !== 'authorizationId' ? '[redacted]' : value;
  return out;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stdout.write(line));
  const now = options.now ?? Date.now;
  const emit = (level: Exclude<LogLevel, 'silent'>) => (fields: LogFields, message: string) => {
    if (ORDER[level] < min) return;
    const safe = redact(fields);
    if (options.format === 'pretty') {
      const extra = Object.entries(safe)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      write(
        `${new Date(now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra ? `  ${extra}` : ''}\n`,
      );
    } else {
      write(`${JSON.stringify({ level, time: new Date(now()).toISOString(), msg: message, ...safe })}\n`);
    }
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
