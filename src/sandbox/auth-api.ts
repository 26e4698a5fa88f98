/**
 * The sandbox's Alipay authorization API: consult, applyToken, revoke, query (DESIGN.md §1.5), on
 * /ams/api/v1/authorizations/* and the /ams/sandbox/api/v1/ aliases. Requests are verified against the
 * merchant's public key; every answer is signed with the sandbox's key. Results follow Alipay: HTTP 200 with
 * `resultStatus` S, F or U and a documented `resultCode`.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { formatRequestTime } from '../protocol/request-time.js';
import { JSON_CONTENT_TYPE } from '../protocol/result.js';
import { signMessage, verifyMessage } from '../protocol/signature.js';
import { issueToken, notifyMerchant, randomToken, type SandboxContext } from './context.js';
import type { SandboxToken } from './state.js';

export const KNOWN_SCOPES = [
  'AGREEMENT_PAY',
  'BASE_USER_INFO',
  'USER_INFO',
  'USER_LOGIN_ID',
  'HASH_LOGIN_ID',
  'SEND_OTP',
  'TAOBAO_REBIND',
] as const;

const str = (max: number) => z.string().min(1).max(max);
export const ConsultRequest = z.object({
  customerBelongsTo: str(64),
  authClientId: str(64).optional(),
  authRedirectUrl: z.url().max(1024),
  scopes: z.array(z.enum(KNOWN_SCOPES)).min(1).max(4),
  authState: str(256),
  terminalType: z.enum(['WEB', 'WAP', 'APP', 'MINI_APP']),
  osType: z.enum(['IOS', 'ANDROID']).optional(),
  osVersion: str(16).optional(),
  merchantRegion: str(2).optional(),
  authNotifyUrl: z.url().max(1024).optional(),
});
export const ApplyTokenRequest = z.discriminatedUnion('grantType', [
  z.object({
    grantType: z.literal('AUTHORIZATION_CODE'),
    customerBelongsTo: str(64),
    authCode: str(128),
    merchantRegion: str(2).optional(),
  }),
  z.object({
    grantType: z.literal('REFRESH_TOKEN'),
    customerBelongsTo: str(64),
    refreshToken: str(128),
    merchantRegion: str(2).optional(),
  }),
]);
export const TokenRequest = z.object({ accessToken: str(128) });

type Result = { resultCode: string; resultStatus: 'S' | 'F' | 'U'; resultMessage: string };
const ok: Result = { resultCode: 'SUCCESS', resultStatus: 'S', resultMessage: 'success' };
const fail = (resultCode: string, resultMessage: string): Result => ({
  resultCode,
  resultStatus: 'F',
  resultMessage,
});

export function mountAuthApi(app: Hono, ctx: SandboxContext): void {
  const { state, clock, faults, config } = ctx;

  async function respond(
    c: Context,
    api: string,
    payload: Record<string, unknown> & { result: Result },
    detail?: string,
  ): Promise<Response> {
    const body = JSON.stringify(payload);
    const time = formatRequestTime(clock.now());
    let signature = await signMessage({
      path: c.req.path,
      clientId: config.clientId,
      time,
      body,
      privateKey: ctx.privateKey,
      keyVersion: '1',
    });
    if (faults.take('badResponseSignatures'))
      signature = signature.replace(
        /signature=(.)/,
        (_m, ch: string) => `signature=${ch === 'A' ? 'B' : 'A'}`,
      );
    state.logRequest(
      api,
      payload.result.resultCode,
      payload.result.resultStatus,
      detail ?? null,
      clock.now(),
    );
    return new Response(body, {
      status: 200,
      headers: {
        'Content-Type': JSON_CONTENT_TYPE,
        'Client-Id': config.clientId,
        'Response-Time': time,
        Signature: signature,
      },
    });
  }

  const handler = async (c: Context): Promise<Response> => {
    const op = c.req.param('op') ?? '';
    const api = op;
    if (!['consult', 'applyToken', 'revoke', 'query'].includes(op)) {
      return respond(c, api || 'unknown', {
        result: fail('PARAM_ILLEGAL', `unknown API ${op}; use consult, applyToken, revoke or query`),
      });
    }
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const verdict = await verifyMessage(
      { receivedPath: c.req.path, headers: c.req.raw.headers, body: raw },
      { clientId: config.clientId, keys: ctx.merchantKeys, now: clock.now() },
    );
    if (!verdict.ok) {
      const code =
        verdict.code === 'KEY_VERSION_UNKNOWN'
          ? 'KEY_NOT_FOUND'
          : verdict.code === 'CLIENT_ID_MISMATCH' || verdict.code === 'HEADER_MISSING'
            ? 'INVALID_CLIENT'
            : verdict.code === 'REQUEST_TIME_INVALID' || verdict.code === 'SIGNATURE_MALFORMED'
              ? 'PARAM_ILLEGAL'
              : 'INVALID_SIGNATURE';
      return respond(c, api, { result: fail(code, `${verdict.message} (${verdict.hint})`) });
    }
    if (faults.take('apiUnknown')) {
      return respond(c, api, {
        result: {
          resultCode: 'UNKNOWN_EXCEPTION',
          resultStatus: 'U',
          resultMessage: 'injected fault: try again',
        },
      });
    }
    let json: unknown;
    try {
      json = JSON.parse(new TextDecoder().decode(raw));
    } catch {
      return respond(c, api, { result: fail('PARAM_ILLEGAL', 'the body is not JSON') });
    }
    const invalid = (error: z.ZodError) => {
      const issue = error.issues[0];
      return respond(c, api, {
        result: fail('PARAM_ILLEGAL', `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`),
      });
    };
    const now = clock.now();

    if (op === 'consult') {
      const parsed = ConsultRequest.safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      const r = parsed.data;
      if ((r.terminalType === 'WAP' || r.terminalType === 'APP') && !r.osType) {
        return respond(c, api, {
          result: fail('PARAM_ILLEGAL', `osType is required when terminalType is ${r.terminalType}`),
        });
      }
      const id = randomToken('cs_');
      state.addConsult({
        id,
        clientId: config.clientId,
        authState: r.authState,
        authRedirectUrl: r.authRedirectUrl,
        authNotifyUrl: r.authNotifyUrl ?? null,
        scopes: r.scopes,
        customerBelongsTo: r.customerBelongsTo,
        terminalType: r.terminalType,
        osType: r.osType ?? null,
        authClientId: r.authClientId ?? null,
        status: 'PENDING',
        createdAt: now,
      });
      const normalUrl = `${ctx.baseUrl()}/wallet/authorize/${id}`;
      return respond(c, api, {
        result: ok,
        normalUrl,
        schemeUrl: `alipays://platformapi/startapp?appId=20000067&url=${encodeURIComponent(normalUrl)}`,
        applinkUrl: `${normalUrl}?applink=true`,
        appIdentifier: 'com.eg.android.AlipayGphone',
      });
    }

    if (op === 'applyToken') {
      const parsed = ApplyTokenRequest.safeParse(json);
      if (!parsed.success) return invalid(parsed.error);
      const r = parsed.data;
      if (r.grantType === 'AUTHORIZATION_CODE') {
        const used = state.useCode(r.authCode, now);
        if (typeof used === 'string') {
          const why = {
            UNKNOWN: 'the authCode is unknown',
            USED: 'the authCode was already used',
            EXPIRED: 'the authCode expired',
          }[used];
          return respond(c, api, { result: fail('INVALID_CODE', why) }, `authCode ${r.authCode} ${used}`);
        }
        const consult = state.consult(used.consultId);
        const token =
          state.activeTokenOfConsult(used.consultId) ??
          issueToken(ctx, used.consultId, used.userId, used.userLoginId, consult?.scopes ?? []);
        return respond(c, api, { result: ok, ...tokenFields(token) }, `authCode ${r.authCode}`);
      }
      const old = state.tokenByRefresh(r.refreshToken);
      if (old?.status !== 'ACTIVE' || old.refreshExpiresAt < now) {
        return respond(c, api, {
          result: fail('INVALID_REFRESH_TOKEN', 'the refreshToken is unknown, expired or no longer valid'),
        });
      }
      state.endToken(old.accessToken, 'REFRESHED', now, null);
      const token = issueToken(ctx, old.consultId, old.userId, old.userLoginId, old.scopes);
      return respond(c, api, { result: ok, ...tokenFields(token) });
    }

    const parsed = TokenRequest.safeParse(json);
    if (!parsed.success) return invalid(parsed.error);
    const token = state.token(parsed.data.accessToken);
    if (op === 'revoke') {
      if (!token)
        return respond(c, api, { result: fail('INVALID_ACCESS_TOKEN', 'the accessToken is unknown') });
      // Revoking twice is safe: the second call succeeds without doing anything.
      if (
        state.endToken(token.accessToken, 'REVOKED', now, 'revoked by the merchant') &&
        config.revokeNotifies
      ) {
        const consult = state.consult(token.consultId);
        await notifyMerchant(ctx, consult?.authNotifyUrl, {
          authorizationNotifyType: 'TOKEN_CANCELED',
          accessToken: token.accessToken,
          reason: 'revoked by the merchant',
        });
      }
      return respond(c, api, { result: ok });
    }
    if (!token)
      return respond(c, api, { result: fail('INVALID_ACCESS_TOKEN', 'the accessToken is unknown') });
    const status = token.status === 'ACTIVE' && token.accessExpiresAt < now ? 'EXPIRED' : token.status;
    return respond(c, api, {
      result: ok,
      accessTokenStatus: status,
      scopes: token.scopes,
      accessTokenExpiryTime: new Date(token.accessExpiresAt).toISOString(),
    });
  };

  app.post('/ams/api/v1/authorizations/:op', handler);
  app.post('/ams/sandbox/api/v1/authorizations/:op', handler);
}

export function tokenFields(token: SandboxToken) {
  return {
    accessToken: token.accessToken,
    accessTokenExpiryTime: new Date(token.accessExpiresAt).toISOString(),
    refreshToken: token.refreshToken,
    refreshTokenExpiryTime: new Date(token.refreshExpiresAt).toISOString(),
    userLoginId: token.userLoginId,
    pspCustomerInfo: { pspName: 'ALIPAY_CN', pspCustomerId: token.userId },
  };
}
