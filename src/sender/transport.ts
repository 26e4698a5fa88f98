/**
 * How a delivery goes over the wire. The default uses undici's `request()` with a keep-alive Agent (about
 * 5x Node 20's fetch here); redirects are never followed and response bodies are read up to a cap.
 */
import { Agent } from 'undici';
import { postWithTimeout } from '../http/node-http-post.js';
import type { DeliveryVerdict } from '../store/types.js';

export interface DeliveryRequest {
  url: string;
  headers: Record<string, string>;
  body: Uint8Array;
  timeoutMs: number;
  maxResponseBytes: number;
}

export type DeliveryResponse =
  | { kind: 'response'; status: number; body: string }
  | {
      kind: 'error';
      verdict: Extract<DeliveryVerdict, 'TIMEOUT' | 'CONNECTION_REFUSED' | 'NETWORK_ERROR'>;
      errorClass: string;
      message: string;
    };

export interface DeliveryTransport {
  deliver(request: DeliveryRequest): Promise<DeliveryResponse>;
  close(): Promise<void>;
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

function classify(error: unknown): DeliveryResponse {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? e.name ?? 'Error';
  const verdict =
    code === 'ECONNREFUSED'
      ? 'CONNECTION_REFUSED'
      : TIMEOUT_CODES.has(code) || e.name === 'TimeoutError' || e.name === 'AbortError'
        ? 'TIMEOUT'
        : 'NETWORK_ERROR';
  return { kind: 'error', verdict, errorClass: code, message: e.message ?? String(error) };
}

/**
 * @example
 * const sender = createSender({ ...options, transport: createUndiciTransport({ connections: 32 }) });
 */
export function createUndiciTransport(options: { connections?: number } = {}): DeliveryTransport {
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: options.connections ?? 64 });
  return {
    async deliver(req) {
      try {
        const response = await postWithTimeout(agent, req);
        const chunks: Buffer[] = [];
        let size = 0;
        for await (const chunk of response.body as AsyncIterable<Buffer>) {
          chunks.push(chunk);
          size += chunk.length;
          if (size >= req.maxResponseBytes) break; // leaving the loop destroys the rest of the body
        }
        const body = Buffer.concat(chunks).subarray(0, req.maxResponseBytes).toString('utf8');
        return { kind: 'response', status: response.statusCode, body };
      } catch (error) {
        return classify(error);
      }
    },
    close: () => agent.close(),
  };
}
