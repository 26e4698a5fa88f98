/**
 * Structured logs with pino: JSON lines for machines, `pretty` for people. Callers pass fields that never
 * contain tokens, keys or signatures; as a second line of defence, fields with such names are redacted.
 */
import { Writable } from 'node:stream';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import type { LogFields, Logger } from '../protocol/logger.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  /** Where lines go. Default standard output. */
  write?: (line: string) => void;
}

const SECRET_FIELDS = [
  'accessToken',
  'refreshToken',
  'token',
  'adminToken',
  'secret',
  'secretKey',
  'signature',
  'Signature',
  'privateKey',
  'password',
  'authorization',
];

export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      write(chunk.toString());
      done();
    },
  });
  const destination =
    options.format === 'pretty'
      ? pretty({
          colorize: false,
          sync: true,
          translateTime: 'SYS:isoDateTime',
          ignore: 'pid,hostname',
          destination: sink,
        })
      : sink;
  const log = pino(
    {
      level: options.level ?? 'info',
      base: null,
      messageKey: 'msg',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...SECRET_FIELDS, ...SECRET_FIELDS.map((f) => `*.${f}`)], censor: '[redacted]' },
    },
    destination,
  );
  return {
    debug: (fields: LogFields, message: string) => log.debug(fields, message),
    info: (fields: LogFields, message: string) => log.info(fields, message),
    warn: (fields: LogFields, message: string) => log.warn(fields, message),
    error: (fields: LogFields, message: string) => log.error(fields, message),
  };
}
