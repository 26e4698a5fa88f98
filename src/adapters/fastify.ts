/**
 * Fastify: a plugin that keeps the raw body (buffer content-type parser, scoped to the plugin) and hands
 * it to the receiver. Register it without a prefix, or pass the path.
 *
 * @example
 * await app.register(authnotifyFastify(receiver), { path: '/alipay/notify/authorization' });
 */
import type { IncomingMessage } from 'node:http';
import { toRawRequest, toWebRequest, type WebHandler } from './node-http.js';

interface FastifyLike {
  addContentTypeParser(
    type: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: unknown, body: Buffer, done: (error: Error | null, body?: Buffer) => void) => void,
  ): void;
  route(options: {
    method: string | string[];
    url: string;
    handler: (request: { raw: IncomingMessage; body?: unknown }, reply: FastifyReplyLike) => Promise<unknown>;
  }): unknown;
}

interface FastifyReplyLike {
  code(status: number): FastifyReplyLike;
  headers(values: Record<string, string>): FastifyReplyLike;
  send(payload: Buffer): FastifyReplyLike;
}

export interface FastifyAdapterOptions {
  path?: string;
  /** Fastify's own limit; the receiver enforces its 64 KiB cap with a JSON 413 below this. Default 1 MiB. */
  bodyLimit?: number;
}

export function authnotifyFastify(receiver: WebHandler & { notifyPath?: string }) {
  return async (fastify: FastifyLike, options: FastifyAdapterOptions = {}): Promise<void> => {
    const bodyLimit = options.bodyLimit ?? 1024 * 1024;
    // Every content type is buffered here, so the receiver answers 415 itself, in Alipay's JSON form.
    fastify.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, body, done) =>
      done(null, body),
    );
    fastify.addContentTypeParser(
      'application/json',
      { parseAs: 'buffer', bodyLimit },
      (_request, body, done) => done(null, body),
    );
    fastify.route({
      method: ['POST', 'GET', 'PUT', 'DELETE', 'PATCH'],
      url: options.path ?? receiver.notifyPath ?? '/alipay/notify/authorization',
      handler: async (request, reply) => {
        const raw = Buffer.isBuffer(request.body)
          ? new Uint8Array(request.body.buffer, request.body.byteOffset, request.body.byteLength)
          : undefined;
        const body = raw ?? new Uint8Array(0);
        if (receiver.receive) {
          const answer = await receiver.receive(toRawRequest(request.raw, body));
          return reply.code(answer.status).headers(answer.headers).send(Buffer.from(answer.body, 'utf8'));
        }
        const response = await receiver.handle(toWebRequest(request.raw, body));
        const headers: Record<string, string> = {};
        response.headers.forEach((value, name) => {
          headers[name] = value;
        });
        return reply
          .code(response.status)
          .headers(headers)
          .send(Buffer.from(await response.arrayBuffer()));
      },
    });
  };
}
