/**
 * Hono: its context already holds the Web `Request`, untouched until something reads it.
 *
 * @example
 * app.post('/alipay/notify/authorization', honoHandler(receiver));
 */
import type { WebHandler } from './node-http.js';

export function honoHandler(receiver: WebHandler) {
  return (c: { req: { raw: Request } }): Promise<Response> => receiver.handle(c.req.raw);
}
