/**
 * The Alipay authorization client: consult, applyToken, revoke, query. It signs the exact bytes it sends,
 * verifies the signature of every successful answer (fail-closed), retries `U` answers and network errors
 * with bounded backoff for calls that are safe to repeat, and raises `F` as an error carrying `resultCode`.
 */
import { Agent } from 'undici';
import type { z } from 'zod';
import { postWithTimeout } from '../http/node-http-post.js';
import { utf8 } from '../protocol/bytes.js';
import { type Clock, systemClock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { type KeyInput, type KeyRing, toKeyRing } from '../protocol/key-ring.js';
import { importPrivateKey } from '../protocol/keys.js';
import { formatRequestTime } from '../protocol/request-time.js';
import { JSON_CONTENT_TYPE } from '../protocol/result.js';
import { signMessage, verifyMessage } from '../protocol/signature.js';
import { type SignatureCrypto, webSignatureCrypto } from '../protocol/signature-crypto.js';
import type { CryptoKey } from '../protocol/web-crypto.js';
import {
  type ApplyTokenRequest,
  type ConsultRequest,
  type ConsultResponse,
  ConsultResponseSchema,
  type QueryResponse,
  QueryResponseSchema,
  ResultSchema,
  type RevokeResponse,
  RevokeResponseSchema,
  type TokenResponse,
  TokenResponseSchema,
} from './schemas.js';

/** Antom's regional API domains (DESIGN.md §1.5; the docs recommend these accelerated ones). */
export const ALIPAY_ENDPOINTS = {
  NORTH_AMERICA: 'https://open-na-global.alipay.com',
  ASIA: 'https://open-sea-global.alipay.com',
  EUROPE: 'https://open-de-global.alipay.com',
} as const;

export interface ClientTransportResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

/** Sends one HTTP POST. The default uses undici with a keep-alive agent. */
export type ClientTransport = (req: {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  timeoutMs: number;
}) => Promise<ClientTransportResponse>;

export interface AlipayClientOptions {
  clientId: string;
  merchantPrivateKey: CryptoKey | string;
  /** Alipay's public key(s) by keyVersion, to verify answers. */
  alipayPublicKeys: KeyRing | Readonly<Record<string, KeyInput>> | KeyInput;
  /** Base URL, e.g. ALIPAY_ENDPOINTS.ASIA or a local sandbox. */
  endpoint: string;
  keyVersion?: string;
  timeoutMs?: number;
  /** Attempts for calls that are safe to repeat (consult, revoke, query). Default 3. */
  maxAttempts?: number;
  /** Wait before retry n. Default 200 ms, 400 ms, 800 ms … capped at 5 s. */
  backoffMs?: (attempt: number) => number;
  transport?: ClientTransport;
  crypto?: SignatureCrypto;
  clock?: Clock;
  sleep?: (ms: number) => Promise<void>;
  /** Called after every call with the API and the resultStatus (or NETWORK_ERROR), e.g. for metrics. */
  onCall?: (api: string, resultStatus: string) => void;
}

export interface AlipayClient {
  consult(request: ConsultRequest): Promise<ConsultResponse>;
  applyToken(request: ApplyTokenRequest): Promise<TokenResponse>;
  revoke(request: { accessToken: string }): Promise<RevokeResponse>;
  query(request: { accessToken: string }): Promise<QueryResponse>;
  close(): Promise<void>;
}

function undiciTransport(): { send: ClientTransport; close: () => Promise<void> } {
  const agent = new Agent({ keepAliveTimeout: 10_000 });
  return {
    send: async (req) => {
      const response = await postWithTimeout(agent, req);
      const body = new Uint8Array(await response.body.arrayBuffer());
      return {
        status: response.statusCode,
        headers: response.headers as ClientTransportResponse['headers'],
        body,
      };
    },
    close: () => agent.close(),
  };
}

/**
 * @example
 * const alipay = await createAlipayClient({
 *   clientId: 'SANDBOX_5YEZ47', merchantPrivateKey: process.env.MERCHANT_PRIVATE_KEY!,
 *   alipayPublicKeys: process.env.ALIPAY_PUBLIC_KEY!, endpoint: ALIPAY_ENDPOINTS.ASIA,
 * });
 * const { normalUrl } = await alipay.consult({ customerBelongsTo: 'ALIPAY_CN', authRedirectUrl, scopes: ['AGREEMENT_PAY'], authState, terminalType: 'WEB' });
 */
export async function createAlipayClient(options: AlipayClientOptions): Promise<AlipayClient> {
  const privateKey =
    typeof options.merchantPrivateKey === 'string'
      ? await importPrivateKey(options.merchantPrivateKey)
      : options.merchantPrivateKey;
  const keys = await toKeyRing(options.alipayPublicKeys);
  let endpoint: URL;
  try {
    endpoint = new URL(options.endpoint);
  } catch {
    throw new AuthNotifyError('CONFIG_INVALID', `endpoint "${options.endpoint}" is not a URL`, {
      hint: 'Use ALIPAY_ENDPOINTS.ASIA, .NORTH_AMERICA, .EUROPE, or a sandbox URL.',
    });
  }
  const base = endpoint.href.replace(/\/$/, '');
  const prefix = options.clientId.startsWith('SANDBOX_')
    ? '/ams/sandbox/api/v1/authorizations'
    : '/ams/api/v1/authorizations';
  const clock = options.clock ?? systemClock;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = options.maxAttempts ?? 3;
  const backoff = options.backoffMs ?? ((n: number) => Math.min(200 * 2 ** (n - 1), 5000));
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const primitive = options.crypto ?? webSignatureCrypto;
  const own = options.transport ? undefined : undiciTransport();
  const transport = options.transport ?? (own as NonNullable<typeof own>).send;

  async function once<T extends z.ZodType>(
    op: string,
    payload: unknown,
    schema: T,
  ): Promise<{ kind: 'ok'; value: z.infer<T> } | { kind: 'retry'; error: AuthNotifyError }> {
    const path = `${prefix}/${op}`;
    const body = utf8(JSON.stringify(payload));
    const time = formatRequestTime(clock.now());
    const signature = await signMessage({
      path,
      clientId: options.clientId,
      time,
      body,
      privateKey,
      keyVersion: options.keyVersion,
      crypto: primitive,
    });
    let response: ClientTransportResponse;
    try {
      response = await transport({
        url: `${base}${path}`,
        headers: {
          'Content-Type': JSON_CONTENT_TYPE,
          'Client-Id': options.clientId,
          'Request-Time': time,
          Signature: signature,
        },
        body,
        timeoutMs,
      });
    } catch (error) {
      return {
        kind: 'retry',
        error: new AuthNotifyError(
          'ALIPAY_UNKNOWN',
          `${op}: the request did not complete (${(error as Error).message})`,
          { cause: error },
        ),
      };
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(response.body));
    } catch {
      const error = new AuthNotifyError(
        'ALIPAY_RESPONSE_INVALID',
        `${op}: HTTP ${response.status} with a body that is not JSON`,
      );
      if (response.status >= 500) return { kind: 'retry', error };
      throw error;
    }
    const result = ResultSchema.safeParse((json as { result?: unknown })?.result);
    if (!result.success)
      throw new AuthNotifyError(
        'ALIPAY_RESPONSE_INVALID',
        `${op}: the answer has no valid result object (HTTP ${response.status})`,
      );
    const { resultStatus, resultCode, resultMessage } = result.data;
    options.onCall?.(op, resultStatus);
    if (resultStatus === 'U') {
      return {
        kind: 'retry',
        error: new AuthNotifyError('ALIPAY_UNKNOWN', `${op}: ${resultCode} ${resultMessage ?? ''}`.trim(), {
          resultCode,
        }),
      };
    }
    if (resultStatus === 'F') {
      throw new AuthNotifyError(
        'ALIPAY_FAILED',
        `${op} failed: ${resultCode}${resultMessage ? ` — ${resultMessage}` : ''}`,
        { resultCode },
      );
    }
    // Success: the answer must be signed by Alipay, or it is not trusted.
    const verdict = await verifyMessage(
      { receivedPath: path, headers: response.headers, body: response.body },
      { clientId: options.clientId, keys, timeHeader: 'Response-Time', now: clock.now(), crypto: primitive },
    );
    if (!verdict.ok) {
      throw new AuthNotifyError(
        'ALIPAY_RESPONSE_INVALID',
        `${op}: the success answer's signature does not verify (${verdict.code}: ${verdict.message})`,
        {
          hint: 'Check the Alipay public key and keyVersion configured; never act on an unverified success.',
        },
      );
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new AuthNotifyError(
        'ALIPAY_RESPONSE_INVALID',
        `${op}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return { kind: 'ok', value: parsed.data };
  }

  async function call<T extends z.ZodType>(
    op: string,
    payload: unknown,
    schema: T,
    repeatable: boolean,
  ): Promise<z.infer<T>> {
    const attempts = repeatable ? maxAttempts : 1;
    let last: AuthNotifyError | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const outcome = await once(op, payload, schema);
      if (outcome.kind === 'ok') return outcome.value;
      last = outcome.error;
      if (attempt < attempts) await sleep(backoff(attempt));
    }
    throw last as AuthNotifyError;
  }

  return {
    consult: (req) => call('consult', req, ConsultResponseSchema, true),
    // An authCode or a refresh token is single-use: never resend applyToken automatically.
    applyToken: (req) => call('applyToken', req, TokenResponseSchema, false),
    revoke: (req) => call('revoke', req, RevokeResponseSchema, true),
    query: (req) => call('query', req, QueryResponseSchema, true),
    close: async () => {
      await own?.close();
    },
  };
}
