import { createServer } from 'node:http';
import { toNodeHandler } from 'authnotify/adapters/node';
import { makeReceiver } from './shared.js';

const receiver = await makeReceiver();
createServer(toNodeHandler(receiver)).listen(Number(process.env.PORT ?? 3000));
