import { serve } from '@hono/node-server';
import { honoHandler } from 'authnotify/adapters/hono';
import { Hono } from 'hono';
import { makeReceiver } from './shared.js';

const receiver = await makeReceiver();
const app = new Hono();
app.post('/alipay/notify/authorization', honoHandler(receiver));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) });
