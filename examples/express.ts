import { expressHandler } from 'authnotify/adapters/express';
import express from 'express';
import { makeReceiver } from './shared.js';

const receiver = await makeReceiver();
const app = express();
// Mount before express.json(): the signature covers the raw bytes.
app.post('/alipay/notify/authorization', expressHandler(receiver));
app.use(express.json());
app.listen(Number(process.env.PORT ?? 3000));
