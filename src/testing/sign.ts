/** Signing notifications with your own test key, and the `Request` Alipay would send. */

import { importPrivateKey } from '../protocol/keys.js';
import type { Notification } from '../protocol/notification.js';
import { formatRequestTime } from '../protocol/request-time.js';
import { ACK_BODY } from '../protocol/result.js';
import { signMessage } from '../protocol/signature.js';
import type { CryptoKey } from '../protocol/web-crypto.js';

export interface SignNotificationInput {
  /** A notification object (serialized with JSON.stringify) or the exact raw body to send. */
  notification: Notification | Record<string, unknown> | string;
  clientId: string;
  /** The private key that matches the public key your receiver is configured with. */
  privateKey: CryptoKey | string;
  /** Path and query the notification is posted to. Default `/alipay/notify/authorization`. */
  path?: string;
  keyVersion?: string;
  /** Exact `Request-Time`; default: now as epoch ms. */
  requestTime?: string;
  /** Epoch ms to use for the default `Request-Time`. */
  now?: number;
}

export interface SignedNotification {
  body: string;
  path: string;
  headers: Record<'Content-Type' | 'Client-Id' | 'Request-Time' | 'Signature', string>;
}

/**
 * Signs a notification exactly as Alipay would.
 *
 * @example
 * const signed = await signNotification({
 *   notification: { authorizationNotifyType: 'TOKEN_CANCELED', accessToken: 'T1', result: { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } },
 *   clientId: 'SANDBOX_TEST', privateKey: testPrivateKeyPem,
 * });
 * const response = await receiver.handle(toRequest('http://localhost', signed));
 */
export async function signNotification(input: SignNotificationInput): Promise<SignedNotification> {
  const body =
    typeof input.notification === 'string' ? input.notification : JSON.stringify(input.notification);
  const path = input.path ?? '/alipay/notify/authorization';
  const privateKey =
    typeof input.privateKey === 'string' ? await importPrivateKey(input.privateKey) : input.privateKey;
  const requestTime = input.requestTime ?? formatRequestTime(input.now ?? Date.now());
  const signature = await signMessage({
    path,
    clientId: input.clientId,
    time: requestTime,
    body,
    privateKey,
    keyVersion: input.keyVersion ?? '1',
  });
  return {
    body,
    path,
    headers: {
      'Content-Type': 'application/json; charset=UTF-8',
      'Client-Id': input.clientId,
      'Request-Time': requestTime,
      Signature: signature,
    },
  };
}

/** Builds the `Request` for a signed notification against a base URL such as `http://localhost:8787`. */
export function toRequest(baseUrl: string, signed: SignedNotification): Request {
  return new Request(new URL(signed.path, baseUrl), {
    method: 'POST',
    headers: signed.headers,
    body: signed.body,
  });
}

/** A successful `result`, as every notification carries. */
export const SUCCESS_RESULT = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' } as const;

/** The acknowledgement body a receiver must answer with. */
export const EXPECTED_ACK = ACK_BODY;
