/** Requests and responses of the authorization APIs (DESIGN.md §1.5), typed and checked with Zod. */
import { z } from 'zod';

const ResultSchema = z
  .object({
    resultCode: z.string(),
    resultStatus: z.enum(['S', 'F', 'U']),
    resultMessage: z.string().optional(),
  })
  .loose();

export interface ConsultRequest {
  customerBelongsTo: string;
  authRedirectUrl: string;
  /** At most 4, e.g. `AGREEMENT_PAY`, `BASE_USER_INFO`. */
  scopes: string[];
  /** Unique and unguessable; echoed back on the redirect and in notifications. */
  authState: string;
  terminalType: 'WEB' | 'WAP' | 'APP' | 'MINI_APP';
  osType?: 'IOS' | 'ANDROID';
  osVersion?: string;
  authClientId?: string;
  merchantRegion?: string;
  authNotifyUrl?: string;
}

export const ConsultResponseSchema = z
  .object({
    result: ResultSchema,
    normalUrl: z.string().optional(),
    schemeUrl: z.string().optional(),
    applinkUrl: z.string().optional(),
    appIdentifier: z.string().optional(),
  })
  .loose();
export type ConsultResponse = z.infer<typeof ConsultResponseSchema>;

export type ApplyTokenRequest =
  | { grantType: 'AUTHORIZATION_CODE'; customerBelongsTo: string; authCode: string; merchantRegion?: string }
  | { grantType: 'REFRESH_TOKEN'; customerBelongsTo: string; refreshToken: string; merchantRegion?: string };

export const TokenResponseSchema = z
  .object({
    result: ResultSchema,
    accessToken: z.string().min(1),
    accessTokenExpiryTime: z.string().optional(),
    refreshToken: z.string().optional(),
    refreshTokenExpiryTime: z.string().optional(),
    userLoginId: z.string().optional(),
    pspCustomerInfo: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();
export type TokenResponse = z.infer<typeof TokenResponseSchema>;

export const RevokeResponseSchema = z.object({ result: ResultSchema }).loose();
export type RevokeResponse = z.infer<typeof RevokeResponseSchema>;

export const QueryResponseSchema = z
  .object({
    result: ResultSchema,
    accessTokenStatus: z.string().optional(),
    scopes: z.array(z.string()).optional(),
    accessTokenExpiryTime: z.string().optional(),
  })
  .loose();
export type QueryResponse = z.infer<typeof QueryResponseSchema>;

export { ResultSchema };
