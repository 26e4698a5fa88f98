/**
 * A merchant's event endpoint for forwarding tests: answers by plan (a status, a redirect, or never) and
 * records every request it got, body as received.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export type EndpointStep = number | 'redirect' | 'hang';

export interface SeenRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface EventEndpoint {
  url: string;
  /** What the next requests get, in order; 204 once it runs out. */
  plan: EndpointStep[];
  seen: SeenRequest[];
  /** Resolves once `n` requests have arrived. */
  received(n: number, timeoutMs?: number): Promise<SeenRequest[]>;
  close(): Promise<void>;
}

export async function eventEndpoint(path = '/authnotify/events'): Promise<EventEndpoint> {
  const plan: EndpointStep[] = [];
  const seen: SeenRequest[] = [];
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      for (const w of waiters.splice(0)) w();
      const step = plan.shift() ?? 204;
      if (step === 'hang') return;
      if (step === 'redirect') res.writeHead(302, { location: '/elsewhere' }).end();
      else res.writeHead(step, { 'content-type': 'text/plain' }).end(step < 300 ? '' : `failed with ${step}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}${path}`,
    plan,
    seen,
    async received(n, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (seen.length < n) {
        if (Date.now() > deadline) throw new Error(`the endpoint got ${seen.length} of ${n} requests`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 100).unref();
        });
      }
      return seen.slice(0, n);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
