export * from './express.js';
export * from './fastify.js';
export * from './hono.js';
export * from './nextjs.js';
export * from './node-http.js';
