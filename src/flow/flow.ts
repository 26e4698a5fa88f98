/**
 * The authorization flow around the notifications (issue 5): start an authorization (consult), land the
 * wallet's redirect, exchange the code once, keep tokens encrypted and fresh, revoke. The merchant's app
 * asks two questions: "start an authorization for user X" and "give me a usable token for it".
 */
import { randomBytes } from 'node:crypto';
import { newAuthorization } from '../authorization/record.js';
import type {
  AuthorizationRecord,
  AuthorizationStatus,
  LifecycleEvent,
  LifecycleLookup,
  TokenColumns,
} from '../authorization/types.js';
import { type AuthorizationView, toAuthorizationView } from '../authorization/view.js';
import type { AlipayClient } from '../client/client.js';
import { fromBase64, toBase64 } from '../protocol/bytes.js';
import type { Clock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import type { Logger } from '../protocol/logger.js';
import { maskLoginId } from '../protocol/mask.js';
import { redeemCode } from '../receiver/lifecycle-step.js';
import type { ApplyTokenPort } from '../receiver/ports.js';
import type { Secrets } from '../receiver/secrets.js';
import type { Store } from '../store/types.js';

export type FlowEventName = `authorization.${Lowercase<AuthorizationStatus>}`;
export type FlowListener = (authorization: AuthorizationView) => void | Promise<void>;

export interface FlowOptions {
  store: Store;
  secrets: Secrets;
  client: AlipayClient;
  clock: Clock;
  logger: Logger;
  /** Where browsers and the wallet reach this service, e.g. https://pay.example.com. */
  publicUrl: string;
  returnPath: string;
  notifyPath: string;
  customerBelongsTo: string;
  /** Refresh tokens this long before they expire. Default 5 min. */
  refreshMarginMs?: number;
}

export interface StartAuthorization {
  merchantUserId: string;
  customerBelongsTo?: string | undefined;
  scopes: string[];
  terminalType: 'WEB' | 'WAP' | 'APP' | 'MINI_APP';
  osType?: 'IOS' | 'ANDROID' | undefined;
  /** Where the landing sends the browser afterwards (with authorizationId and status). */
  redirectUrl?: string | undefined;
}

export interface Flow {
  applyTokenPort: ApplyTokenPort;
  start(input: StartAuthorization): Promise<{
    id: string;
    authState: string;
    normalUrl: string | null;
    schemeUrl: string | null;
    applinkUrl: string | null;
  }>;
  /** The wallet's redirect: returns where to send the browser, or the result as JSON. */
  land(
    query: Record<string, string | undefined>,
  ): Promise<{ authorization: AuthorizationView; redirectTo: string | null }>;
  revoke(id: string): Promise<AuthorizationView>;
  /** A usable access token, refreshed first when it is about to expire. */
  accessToken(id: string): Promise<{ accessToken: string; expiresAt: string | null }>;
  /** Refreshes every token expiring within the margin. Returns how many were refreshed. */
  refreshDue(): Promise<number>;
  on(event: FlowEventName | 'authorization.*', listener: FlowListener): () => void;
  /** Emits a state change seen elsewhere (the receiver's handlers call this for notifications). */
  emit(authorization: AuthorizationView): Promise<void>;
}

export function createFlow(options: FlowOptions): Flow {
  const { store, secrets, client, clock, logger } = options;
  const margin = options.refreshMarginMs ?? 5 * 60_000;
  const listeners = new Map<string, Set<FlowListener>>();

  async function emit(view: AuthorizationView): Promise<void> {
    for (const key of [`authorization.${view.status.toLowerCase()}`, 'authorization.*']) {
      for (const listener of listeners.get(key) ?? []) {
        try {
          await listener(view);
        } catch (error) {
          logger.error(
            { authorizationId: view.id, err: (error as Error).message },
            'an authorization hook failed',
          );
        }
      }
    }
  }

  async function apply(
    event: LifecycleEvent,
    lookup: LifecycleLookup,
  ): Promise<AuthorizationRecord | undefined> {
    const now = clock.now();
    const ctx = { now, newId: uuidv7(now), inboxId: null, acceptUnknownAuthState: false };
    const result = await store.applyEvent({ lookup, timelineId: uuidv7(now), now }, event, ctx);
    if (result.authorization && result.decision.write) await emit(toAuthorizationView(result.authorization));
    return result.authorization;
  }

  async function sealedColumns(t: {
    accessToken: string;
    refreshToken?: string | undefined;
    accessTokenExpiryTime?: string | undefined;
    refreshTokenExpiryTime?: string | undefined;
  }): Promise<TokenColumns> {
    const seal = async (v: string) => toBase64(await secrets.seal(new TextEncoder().encode(v)));
    const time = (v: string | undefined) => (v && Number.isFinite(Date.parse(v)) ? Date.parse(v) : null);
    return {
      accessTokenEnc: await seal(t.accessToken),
      refreshTokenEnc: t.refreshToken ? await seal(t.refreshToken) : null,
      accessTokenExpiresAt: time(t.accessTokenExpiryTime),
      refreshTokenExpiresAt: time(t.refreshTokenExpiryTime),
    };
  }

  async function unseal(value: string | null): Promise<string | undefined> {
    if (value === null) return undefined;
    return new TextDecoder().decode(await secrets.open(fromBase64(value)));
  }

  const applyTokenPort: ApplyTokenPort = {
    async redeem({ authCode, authorizationId }) {
      const authorization = await store.getAuthorization(authorizationId);
      if (!authorization)
        throw new AuthNotifyError('NOT_FOUND', `authorization ${authorizationId} does not exist`);
      let token: Awaited<ReturnType<AlipayClient['applyToken']>>;
      try {
        token = await client.applyToken({
          grantType: 'AUTHORIZATION_CODE',
          customerBelongsTo: options.customerBelongsTo,
          authCode,
        });
      } catch (error) {
        if (error instanceof AuthNotifyError && error.code === 'ALIPAY_FAILED') {
          await apply(
            { kind: 'APPLY_TOKEN_FAILED', authCode, resultCode: error.resultCode ?? 'UNKNOWN' },
            { authCode },
          );
          logger.warn(
            { authorizationId, resultCode: error.resultCode },
            'applyToken failed: authorization FAILED',
          );
          return;
        }
        throw error; // unknown outcome: the claim is released and the redemption retried
      }
      const tokenHash = await secrets.tokenHash(token.accessToken);
      await apply(
        {
          kind: 'TOKEN_CREATED',
          tokenHash,
          authState: authorization.authState ?? undefined,
          source: 'applyToken',
          tokens: await sealedColumns(token),
          userLoginIdMasked: maskLoginId(token.userLoginId),
        },
        { tokenHash, ...(authorization.authState ? { authState: authorization.authState } : {}) },
      );
      logger.info({ authorizationId }, 'applyToken succeeded: authorization ACTIVE');
    },
  };

  async function mustGet(id: string): Promise<AuthorizationRecord> {
    const a = await store.getAuthorization(id);
    if (!a) throw new AuthNotifyError('NOT_FOUND', `authorization ${id} does not exist`);
    return a;
  }

  async function refresh(a: AuthorizationRecord): Promise<AuthorizationRecord> {
    const refreshToken = await unseal(a.refreshTokenEnc);
    if (!refreshToken || !a.tokenHash) {
      return (
        (await apply(
          { kind: 'EXPIRED', tokenHash: a.tokenHash ?? '', reason: 'no refresh token' },
          { tokenHash: a.tokenHash ?? '' },
        )) ?? a
      );
    }
    try {
      const token = await client.applyToken({
        grantType: 'REFRESH_TOKEN',
        customerBelongsTo: options.customerBelongsTo,
        refreshToken,
      });
      const newTokenHash = await secrets.tokenHash(token.accessToken);
      logger.info({ authorizationId: a.id }, 'token refreshed');
      return (
        (await apply(
          {
            kind: 'TOKEN_REFRESHED',
            tokenHash: a.tokenHash,
            newTokenHash,
            tokens: await sealedColumns(token),
          },
          { tokenHash: a.tokenHash },
        )) ?? a
      );
    } catch (error) {
      if (error instanceof AuthNotifyError && error.code === 'ALIPAY_FAILED') {
        logger.warn(
          { authorizationId: a.id, resultCode: error.resultCode },
          'refresh failed: authorization EXPIRED',
        );
        return (
          (await apply(
            { kind: 'EXPIRED', tokenHash: a.tokenHash, reason: `refresh failed: ${error.resultCode}` },
            { tokenHash: a.tokenHash },
          )) ?? a
        );
      }
      throw error;
    }
  }

  return {
    applyTokenPort,
    emit,
    on(event, listener) {
      let set = listeners.get(event);
      if (!set) {
        set = new Set();
        listeners.set(event, set);
      }
      set.add(listener);
      return () => set.delete(listener);
    },

    async start(input) {
      const now = clock.now();
      const authState = randomBytes(24).toString('base64url'); // 192 random bits: unguessable
      const id = uuidv7(now);
      await store.saveConsult(
        {
          authState,
          authorizationId: id,
          merchantReference: input.redirectUrl ?? null,
          createdAt: now,
          expiresAt: now + 24 * 3_600_000,
        },
        newAuthorization({
          id,
          status: 'PENDING',
          authState,
          merchantUserId: input.merchantUserId,
          createdAt: now,
        }),
      );
      const consult = await client.consult({
        customerBelongsTo: input.customerBelongsTo ?? options.customerBelongsTo,
        authRedirectUrl: `${options.publicUrl}${options.returnPath}`,
        authNotifyUrl: `${options.publicUrl}${options.notifyPath}`,
        scopes: input.scopes,
        authState,
        terminalType: input.terminalType,
        ...(input.osType ? { osType: input.osType } : {}),
      });
      logger.info({ authorizationId: id }, 'consult made: authorization PENDING');
      return {
        id,
        authState,
        normalUrl: consult.normalUrl ?? null,
        schemeUrl: consult.schemeUrl ?? null,
        applinkUrl: consult.applinkUrl ?? null,
      };
    },

    async land(query) {
      const authState = query.authState;
      if (!authState) throw new AuthNotifyError('PARAM_ILLEGAL', 'authState is missing from the redirect');
      const consult = await store.getConsult(authState);
      if (!consult)
        throw new AuthNotifyError(
          'PARAM_ILLEGAL',
          'authState matches no authorization started here (expired, or forged)',
          { status: 400 },
        );
      const finish = (a: AuthorizationRecord) => {
        let redirectTo: string | null = null;
        if (consult.merchantReference) {
          const url = new URL(consult.merchantReference);
          url.searchParams.set('authorizationId', a.id);
          url.searchParams.set('status', a.status);
          redirectTo = url.href;
        }
        return { authorization: toAuthorizationView(a), redirectTo };
      };
      if (query.error || !query.authCode) {
        const a = await apply(
          { kind: 'DECLINED', authState, reason: query.error ?? 'NO_AUTH_CODE' },
          { authState },
        );
        return finish(a ?? (await mustGet(consult.authorizationId)));
      }
      const authCode = query.authCode;
      await apply(
        { kind: 'AUTHCODE_CREATED', authCode, authState, source: 'redirect' },
        { authState, authCode },
      );
      const current = await mustGet(consult.authorizationId);
      if (
        current.accessTokenEnc === null &&
        (current.status === 'CODE_RECEIVED' || current.status === 'ACTIVE')
      ) {
        await redeemCode({ store, clock, applyToken: applyTokenPort }, authCode, current.id);
      }
      return finish(await mustGet(consult.authorizationId));
    },

    async revoke(id) {
      const a = await mustGet(id);
      if (a.status === 'REVOKED') return toAuthorizationView(a);
      const accessToken = await unseal(a.accessTokenEnc);
      if (!accessToken || !a.tokenHash)
        throw new AuthNotifyError(
          'CONFLICT',
          `authorization ${id} is ${a.status} and holds no token to revoke`,
        );
      await client.revoke({ accessToken });
      return toAuthorizationView(
        (await apply({ kind: 'REVOKED', tokenHash: a.tokenHash }, { tokenHash: a.tokenHash })) ?? a,
      );
    },

    async accessToken(id) {
      let a = await mustGet(id);
      if (a.status !== 'ACTIVE')
        throw new AuthNotifyError('CONFLICT', `authorization ${id} is ${a.status}; no usable token`);
      if (a.accessTokenExpiresAt !== null && a.accessTokenExpiresAt - margin <= clock.now())
        a = await refresh(a);
      const token = await unseal(a.accessTokenEnc);
      if (a.status !== 'ACTIVE' || !token)
        throw new AuthNotifyError('CONFLICT', `authorization ${id} is ${a.status}; no usable token`);
      logger.info({ authorizationId: id }, 'access token read');
      return {
        accessToken: token,
        expiresAt: a.accessTokenExpiresAt === null ? null : new Date(a.accessTokenExpiresAt).toISOString(),
      };
    },

    async refreshDue() {
      let n = 0;
      for (const a of await store.listExpiring(clock.now() + margin, 50)) {
        try {
          await refresh(a);
          n++;
        } catch (error) {
          logger.warn(
            { authorizationId: a.id, err: (error as Error).message },
            'refresh outcome unknown; will retry',
          );
        }
      }
      return n;
    },
  };
}
