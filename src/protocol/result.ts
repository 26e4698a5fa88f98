/**
 * The `Result` object of every Alipay message, the fixed acknowledgement a merchant returns for a
 * notification (seed page, "Result process logic"), and builders for failure answers.
 */

export type ResultStatus = 'S' | 'F' | 'U';

export interface Result {
  resultCode: string;
  resultStatus: ResultStatus;
  resultMessage?: string;
}

/** Result codes authnotify uses on the wire. */
export const ResultCodes = {
  SUCCESS: 'SUCCESS',
  PARAM_ILLEGAL: 'PARAM_ILLEGAL',
  INVALID_SIGNATURE: 'INVALID_SIGNATURE',
  KEY_NOT_FOUND: 'KEY_NOT_FOUND',
  INVALID_CLIENT: 'INVALID_CLIENT',
  INVALID_ACCESS_TOKEN: 'INVALID_ACCESS_TOKEN',
  INVALID_CODE: 'INVALID_CODE',
  ACCESS_DENIED: 'ACCESS_DENIED',
  REQUEST_TRAFFIC_EXCEED_LIMIT: 'REQUEST_TRAFFIC_EXCEED_LIMIT',
  UNKNOWN_EXCEPTION: 'UNKNOWN_EXCEPTION',
  PROCESS_FAIL: 'PROCESS_FAIL',
} as const;

/**
 * The acknowledgement body, byte for byte (DESIGN.md §1.3). Alipay stops retrying only when it reads
 * `resultStatus` `S` with `resultCode` `SUCCESS`.
 */
export const ACK_BODY = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';

/** The acknowledgement body as UTF-8 bytes. */
export const ACK_BODY_BYTES: Uint8Array = new TextEncoder().encode(ACK_BODY);

/** `Content-Type` of every JSON message on this wire. */
export const JSON_CONTENT_TYPE = 'application/json; charset=UTF-8';

/**
 * A failure answer body `{"result":{...}}`. `U` tells the sender to retry; `F` tells it the request is wrong.
 *
 * @example
 * failureBody('INVALID_SIGNATURE', 'signature does not verify'); // '{"result":{"resultCode":"INVALID_SIGNATURE",...'
 */
export function failureBody(
  resultCode: string,
  resultMessage: string,
  resultStatus: 'F' | 'U' = 'F',
): string {
  return JSON.stringify({ result: { resultCode, resultStatus, resultMessage } });
}

/**
 * True when a response body is an acknowledgement by DESIGN.md §1.4: JSON whose `result.resultStatus` is
 * `S` and `result.resultCode` is `SUCCESS`. Other fields and whitespace do not matter.
 */
export function isAckBody(body: string): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return false;
  }
  if (typeof parsed !== 'object' || parsed === null) return false;
  const result = (parsed as { result?: unknown }).result;
  if (typeof result !== 'object' || result === null) return false;
  const { resultStatus, resultCode } = result as { resultStatus?: unknown; resultCode?: unknown };
  return resultStatus === 'S' && resultCode === 'SUCCESS';
}
