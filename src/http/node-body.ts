/**
 * Request bodies on node:http, capped before they are buffered (issue 11, section 4): a declared
 * Content-Length over the cap is refused before one byte is read, a streamed body as soon as it passes
 * the cap. The rest of an oversized body is not read: the answer says `Connection: close` and the
 * socket is closed once the answer is out, so a client cannot make the server read and discard
 * gigabytes (which `req.resume()` did).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AuthNotifyError } from '../protocol/errors.js';

/** BODY_TOO_LARGE for a body over `maxBytes`. */
export function tooLarge(maxBytes: number): AuthNotifyError {
  return new AuthNotifyError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`);
}

/**
 * Reads a Node request body, stopping at `maxBytes` with BODY_TOO_LARGE. After a refusal the request is
 * paused, not drained; answer it with `closeAfter(res)`.
 * @example const body = await readNodeBody(req, 64 * 1024);
 */
export function readNodeBody(req: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    const onData = (chunk: Buffer) => {
      total += chunk.length;
      if (total > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(tooLarge(maxBytes));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => {
      const body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      resolve(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
    });
    req.once('error', (error) =>
      reject(new AuthNotifyError('BODY_INVALID', 'the request body could not be read', { cause: error })),
    );
  });
}

/**
 * Marks the answer as the last on its connection and closes the socket once it is written: used after
 * refusing a body that was not read to its end.
 */
export function closeAfter(res: ServerResponse): void {
  if (!res.headersSent) res.setHeader('Connection', 'close');
  res.once('finish', () => {
    // Half-close first so the client reads the answer, then drop whatever it is still sending.
    res.socket?.end();
    setTimeout(() => res.socket?.destroy(), 1000).unref();
  });
}

/**
 * A node:http listener that buffers every request body up to `maxBytes(req)` before handing the request
 * on (as `rawBody`, which @hono/node-server reads instead of the stream), and answers 413 BODY_TOO_LARGE
 * with `Connection: close` past it — so no handler behind it can buffer an unbounded body.
 * @example createServer(cappedBodies(getRequestListener(app.fetch), () => 16 * 1024));
 */
export function cappedBodies(
  listener: (req: IncomingMessage, res: ServerResponse) => unknown,
  maxBytes: (req: IncomingMessage) => number,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    if (req.method === 'GET' || req.method === 'HEAD' || req.method === 'OPTIONS') {
      void listener(req, res);
      return;
    }
    const cap = maxBytes(req);
    readNodeBody(req, cap).then(
      (body) => {
        (req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.from(
          body.buffer,
          body.byteOffset,
          body.byteLength,
        );
        void listener(req, res);
      },
      (error: unknown) => {
        const e = error instanceof AuthNotifyError ? error : tooLarge(cap);
        closeAfter(res);
        res.writeHead(e.status, { 'Content-Type': 'application/json; charset=UTF-8' });
        res.end(JSON.stringify({ error: { code: e.code, message: e.message } }));
      },
    );
  };
}
