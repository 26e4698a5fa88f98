/**
 * node:http ⇄ Web Request/Response. The other Node adapters (Express, Fastify) reuse these.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Anything with a Web-standard handler, such as a Receiver. */
export interface WebHandler {
  handle(request: Request): Promise<Response>;
}

/**
 * Builds a Web `Request` from a Node request. The URL keeps the request target exactly as received (a
 * `//` or `%2F` in the path stays, since the signature covers it); the host is irrelevant to verification.
 * `body`, when given, is used instead of the stream (frameworks that buffered it already).
 */
export function toWebRequest(req: IncomingMessage, body?: Uint8Array): Request {
  const target = req.url ?? '/';
  const url = target.startsWith('/') ? `http://localhost${target}` : new URL(target).href;
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    if (name.startsWith(':')) continue; // HTTP/2 pseudo-headers
    headers.append(name, req.rawHeaders[i + 1] as string);
  }
  const method = req.method ?? 'GET';
  if (method === 'GET' || method === 'HEAD') return new Request(url, { method, headers });
  if (body !== undefined) return new Request(url, { method, headers, body: body as Uint8Array<ArrayBuffer> });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      req.on('data', (chunk: Buffer) =>
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength)),
      );
      req.on('end', () => controller.close());
      req.on('error', (error) => controller.error(error));
    },
    cancel() {
      req.destroy();
    },
  });
  return new Request(url, { method, headers, body: stream, duplex: 'half' } as RequestInit);
}

/** Writes a Web `Response` to a Node response. */
export async function sendWebResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  const body = Buffer.from(await response.arrayBuffer());
  headers['content-length'] = String(body.length);
  res.writeHead(response.status, headers);
  res.end(body);
}

/**
 * A node:http request listener for a Web handler.
 *
 * @example
 * import { createServer } from 'node:http';
 * createServer(toNodeHandler(receiver)).listen(8787);
 */
export function toNodeHandler(handler: WebHandler | ((request: Request) => Promise<Response>)) {
  const handle = typeof handler === 'function' ? handler : (request: Request) => handler.handle(request);
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(toWebRequest(req))
      .then((response) => sendWebResponse(res, response))
      .catch(() => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
        res.end(
          '{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"internal error"}}',
        );
      });
  };
}
