/**
 * Next.js App Router route handlers receive a Web `Request`; read nothing from it before the receiver does.
 *
 * @example
 * // app/alipay/notify/authorization/route.ts
 * export const runtime = 'nodejs';
 * export const { POST } = nextRouteHandlers(receiverPromise);
 */
import type { WebHandler } from './node-http.js';

export function nextRouteHandlers(receiver: WebHandler | Promise<WebHandler>) {
  const handle = async (request: Request): Promise<Response> => (await receiver).handle(request);
  return { POST: handle, GET: handle };
}
