/**
 * `authnotify/adapters` — the receiver in node:http, Express, Fastify, Hono and Next.js route handlers.
 * Each adapter is also published alone (`authnotify/adapters/express`, …).
 */
export { BODY_CONSUMED_MESSAGE, expressHandler } from './express.js';
export { authnotifyFastify, type FastifyAdapterOptions } from './fastify.js';
export { honoHandler } from './hono.js';
export { nextRouteHandlers } from './nextjs.js';
export { sendWebResponse, toNodeHandler, toWebRequest, type WebHandler } from './node-http.js';
