// Receive authnotify's forwarded events with the Standard Webhooks library (npm: standardwebhooks) on
// plain node:http; any Standard Webhooks library verifies them the same way.
import { createServer } from 'node:http';
import { Webhook } from 'standardwebhooks';

const webhook = new Webhook(process.env.AUTHNOTIFY_WEBHOOK_SECRET ?? '');

createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let event: { type: string; data: { id?: string; status?: string } };
    try {
      event = webhook.verify(
        Buffer.concat(chunks).toString('utf8'),
        req.headers as Record<string, string>,
      ) as typeof event;
    } catch {
      res.writeHead(400).end();
      return;
    }
    console.log(`${event.type} ${event.data.id ?? ''} ${event.data.status ?? ''}`);
    res.writeHead(204).end();
  });
}).listen(Number(process.env.PORT ?? 3002), '127.0.0.1');
