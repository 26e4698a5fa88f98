/**
 * A node:http server with the limits a webhook receiver needs (issue 11, section 4): seconds, not Node's
 * minutes, to send headers and a whole request; a cap on connections open at once, so the process never
 * runs out of file descriptors; and a cap per source address, so a few slow or idle clients cannot hold
 * every connection while genuine notifications wait. Behind a reverse proxy every connection comes from
 * the proxy, so the per-source cap then bounds what the proxy may hold open.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface ServerLimits {
  /** Time a client has to send its request headers. Default 10 s. */
  headersTimeoutMs?: number | undefined;
  /** Time a client has to send its whole request, body included. Default 30 s. */
  requestTimeoutMs?: number | undefined;
  /** How long an idle keep-alive connection stays open. Default 65 s (longer than common proxies' 60 s). */
  keepAliveTimeoutMs?: number | undefined;
  /** Connections open at once; more are closed on arrival. Default 4096. */
  maxConnections?: number | undefined;
  /** Connections open at once from one address; more from it are closed on arrival. Default 256. */
  maxConnectionsPerSource?: number | undefined;
}

export const DEFAULT_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 65_000,
  maxConnections: 4096,
  maxConnectionsPerSource: 256,
} as const;

/**
 * @example const server = createLimitedServer(listener, { requestTimeoutMs: 15_000 });
 */
export function createLimitedServer(
  listener: (req: IncomingMessage, res: ServerResponse) => void,
  limits: ServerLimits = {},
): Server {
  const headersTimeout = limits.headersTimeoutMs ?? DEFAULT_LIMITS.headersTimeoutMs;
  const requestTimeout = Math.max(limits.requestTimeoutMs ?? DEFAULT_LIMITS.requestTimeoutMs, headersTimeout);
  const server = createServer(
    {
      headersTimeout,
      requestTimeout,
      // Node checks the two timeouts on this interval (default 30 s, which would triple a 10 s limit).
      connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    listener,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs ?? DEFAULT_LIMITS.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections ?? DEFAULT_LIMITS.maxConnections;
  const perSource = limits.maxConnectionsPerSource ?? DEFAULT_LIMITS.maxConnectionsPerSource;
  const open = new Map<string, number>();
  server.on('connection', (socket) => {
    const source = socket.remoteAddress ?? 'unknown';
    const n = (open.get(source) ?? 0) + 1;
    if (n > perSource) {
      socket.destroy();
      return;
    }
    open.set(source, n);
    socket.once('close', () => {
      const left = (open.get(source) ?? 1) - 1;
      if (left <= 0) open.delete(source);
      else open.set(source, left);
    });
  });
  return server;
}
