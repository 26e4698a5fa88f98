// Serves the Next.js route handler the way Next.js calls it (a Web Request in, a Response out), so the
// example runs as a test without a Next.js build.
import { createServer } from 'node:http';
import { sendWebResponse, toWebRequest } from 'authnotify/adapters/node';
import { POST } from './nextjs-route.js';

createServer(
  (req, res) => void POST(toWebRequest(req)).then((response) => sendWebResponse(res, response)),
).listen(Number(process.env.PORT ?? 3000));
