/**
 * `authnotify/client` — the Alipay API client: consult, applyToken, refresh, revoke and query, signed
 * requests and verified answers.
 */
export {
  ALIPAY_ENDPOINTS,
  type AlipayClient,
  type AlipayClientOptions,
  type ClientTransport,
  type ClientTransportResponse,
  createAlipayClient,
} from './client.js';
export {
  type ApplyTokenRequest,
  type ConsultRequest,
  type ConsultResponse,
  ConsultResponseSchema,
  type QueryResponse,
  QueryResponseSchema,
  type RevokeResponse,
  RevokeResponseSchema,
  type TokenResponse,
  TokenResponseSchema,
} from './schemas.js';
