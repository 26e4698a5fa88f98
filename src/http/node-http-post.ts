/** One POST with undici: a keep-alive agent, the same timeout for headers, body and the whole call. */
import { type Agent, type Dispatcher, request } from 'undici';

export function postWithTimeout(
  agent: Agent,
  req: { url: string; headers: Record<string, string>; body: Uint8Array; timeoutMs: number },
): Promise<Dispatcher.ResponseData> {
  return request(req.url, {
    method: 'POST',
    headers: req.headers,
    body: req.body,
    dispatcher: agent,
    headersTimeout: req.timeoutMs,
    bodyTimeout: req.timeoutMs,
    signal: AbortSignal.timeout(req.timeoutMs),
  });
}
