/**
 * node:http ⇄ Web Request/Response. The other Node adapters (Express, Fastify) reuse these.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { closeAfter, readNodeBody, tooLarge } from '../http/node-body.js';
import type { Logger } from '../protocol/logger.js';
import { ACK_BODY } from '../protocol/result.js';
import type { RawRequest, RawResponse } from '../receiver/receive.js';

/** Anything with a Web-standard handler, such as a Receiver; `receive` is used when present (no Web objects). */
export interface WebHandler {
  handle(request: Request): Promise<Response>;
  receive?(request: RawRequest): Promise<RawResponse>;
  /** Where an adapter reports what it refuses before the handler sees it (a Receiver's logger). */
  readonly logger?: Logger;
}

/** The receiver's raw form of a Node request; `body` when a framework already buffered it. */
export function toRawRequest(req: IncomingMessage, body?: Uint8Array): RawRequest {
  return {
    method: req.method ?? 'GET',
    path: requestTarget(req),
    headers: req.headers,
    readBody: (maxBytes) => {
      if (body === undefined) return readNodeBody(req, maxBytes);
      return body.length > maxBytes ? Promise.reject(tooLarge(maxBytes)) : Promise.resolve(body);
    },
  };
}

/**
 * Path and query as received, kept byte for byte (a `//` or `%2F` stays; the signature covers it); an
 * absolute-form target (`POST http://host/path`, as proxies may send) gives its path and query.
 */
export function requestTarget(req: IncomingMessage): string {
  const target = req.url ?? '/';
  if (target.startsWith('/')) return target;
  try {
    const url = new URL(target);
    return `${url.pathname}${url.search}`;
  } catch {
    return target; // `*` or garbage: no route matches it
  }
}

export { readNodeBody };

/** The acknowledgement's bytes, encoded once: most answers are it. */
const ACK_BUFFER = Buffer.from(ACK_BODY, 'utf8');

/** Writes a raw receiver answer to a Node response. */
export function sendRawResponse(res: ServerResponse, response: RawResponse): void {
  const body = response.body === ACK_BODY ? ACK_BUFFER : Buffer.from(response.body, 'utf8');
  res.writeHead(response.status, { ...response.headers, 'Content-Length': String(body.length) });
  res.end(body);
}

/** Runs a handler on a Node request, through `receive` when the handler has it. */
export async function dispatchNode(
  handler: WebHandler,
  req: IncomingMessage,
  res: ServerResponse,
  body?: Uint8Array,
): Promise<void> {
  if (handler.receive) {
    const answer = await handler.receive(toRawRequest(req, body));
    // Refused before its body was read (too large, wrong type): this answer is the connection's last,
    // rather than reading and discarding whatever the client still sends.
    if (body === undefined && !req.complete) closeAfter(res);
    sendRawResponse(res, answer);
  } else {
    await sendWebResponse(res, await handler.handle(toWebRequest(req, body)));
  }
}

/**
 * Builds a Web `Request` from a Node request. The URL keeps the request target exactly as received (a
 * `//` or `%2F` in the path stays, since the signature covers it); the host is irrelevant to verification.
 * `body`, when given, is used instead of the stream (frameworks that buffered it already).
 */
export function toWebRequest(req: IncomingMessage, body?: Uint8Array): Request {
  const url = `http://localhost${requestTarget(req)}`;
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
  const target: WebHandler = typeof handler === 'function' ? { handle: handler } : handler;
  return (req: IncomingMessage, res: ServerResponse): void => {
    dispatchNode(target, req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(
        '{"result":{"resultCode":"UNKNOWN_EXCEPTION","resultStatus":"U","resultMessage":"internal error"}}',
      );
    });
  };
}
