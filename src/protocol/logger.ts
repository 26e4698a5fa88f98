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
