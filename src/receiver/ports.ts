/**
 * What the receiver talks to besides the store: the applyToken port (implemented by the client layer),
 * a logger and a metrics observer. All optional.
 */

/**
 * Exchanges an authCode for tokens (applyToken) and records the outcome. Resolves once the authorization has
 * moved on (ACTIVE, or FAILED on an F answer); rejects when the outcome is unknown (U, network), so the
 * redemption is retried. Without a port, codes wait in CODE_RECEIVED.
 */
export interface ApplyTokenPort {
  redeem(input: { authCode: string; authorizationId: string }): Promise<void>;
}

export type LogFields = Record<string, unknown>;

/** Structured logger. Fields never include tokens, keys or signatures; userLoginId is masked. */
export interface Logger {
  debug(fields: LogFields, message: string): void;
  info(fields: LogFields, message: string): void;
  warn(fields: LogFields, message: string): void;
  error(fields: LogFields, message: string): void;
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** Hooks for metrics; every method optional. */
export interface ReceiverObserver {
  received?(
    outcome: 'stored' | 'duplicate' | 'quarantined' | 'rejected' | 'unavailable',
    code: string | null,
    type: string | null,
    ms: number,
  ): void;
  processed?(outcome: 'processed' | 'retry' | 'failed', type: string | null): void;
}
