import { authnotifyFastify } from 'authnotify/adapters/fastify';
import Fastify from 'fastify';
import { makeReceiver } from './shared.js';

const receiver = await makeReceiver();
const app = Fastify();
// The plugin keeps the raw body for its route only; your other routes keep Fastify's JSON parser.
await app.register(authnotifyFastify(receiver) as never, { path: '/alipay/notify/authorization' });
await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
