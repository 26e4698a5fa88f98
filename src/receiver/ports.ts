/**
 * What the receiver talks to besides the store and the logger: the applyToken port (implemented by the
 * flow) and a metrics observer. Both optional.
 */

/**
 * Exchanges an authCode for tokens (applyToken) and records the outcome. Resolves once the authorization has
 * moved on (ACTIVE, or FAILED on an F answer); rejects when the outcome is unknown (U, network), so the
 * redemption is retried. Without a port, codes wait in CODE_RECEIVED.
 */
export interface ApplyTokenPort {
  redeem(input: { authCode: string; authorizationId: string }): Promise<void>;
}

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
