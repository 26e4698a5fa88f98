/**
 * Express: mount the receiver on the notify path *before* `express.json()`, or use
 * `express.raw({ type: 'application/json' })` for that path. A body already parsed into an object cannot
 * be verified (the signature covers the raw bytes), so that case answers 500 with a message saying so.
 *
 * @example
 * app.post('/alipay/notify/authorization', expressHandler(receiver));
 * app.use(express.json()); // after
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { failureBody } from '../protocol/result.js';
import { dispatchNode, type WebHandler } from './node-http.js';

export const BODY_CONSUMED_MESSAGE =
  'the request body was already parsed (express.json() or a body parser ran first), so its raw bytes are gone and the signature cannot be verified: mount authnotify before express.json(), or use express.raw({ type: "application/json" }) on this path';

type ExpressRequest = IncomingMessage & { body?: unknown };
type Next = (error?: unknown) => void;

export function expressHandler(receiver: WebHandler) {
  return (req: ExpressRequest, res: ServerResponse, next: Next): void => {
    let body: Uint8Array | undefined;
    if (Buffer.isBuffer(req.body)) {
      body = new Uint8Array(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    } else if (req.body !== undefined && req.readableEnded) {
      receiver.logger?.error({ path: req.url }, `notification refused: ${BODY_CONSUMED_MESSAGE}`);
      res.writeHead(500, { 'content-type': 'application/json; charset=UTF-8' });
      // U: once the app is fixed, Alipay's retry succeeds.
      res.end(failureBody('UNKNOWN_EXCEPTION', BODY_CONSUMED_MESSAGE, 'U'));
      return;
    }
    dispatchNode(receiver, req, res, body).catch(next);
  };
}
