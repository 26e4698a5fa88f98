/**
 * Who is asking: the socket's address, or — only when the socket belongs to a configured trusted proxy —
 * the client address the proxy forwarded (X-Forwarded-For, read from the right, skipping trusted hops)
 * and whether the client used HTTPS (X-Forwarded-Proto). Without trusted proxies forwarded headers are
 * ignored, so a client cannot choose the address the admin rejection limiter counts against.
 */
import { isIP } from 'node:net';
import type { Context } from 'hono';

export interface ClientAddress {
  address: string;
  https: boolean;
}

function normalize(address: string): string {
  const a = address.trim();
  return a.startsWith('::ffff:') && isIP(a.slice(7)) === 4 ? a.slice(7) : a;
}

/**
 * @example const clientOf = clientResolver(['127.0.0.1']); clientOf(c).address
 */
export function clientResolver(trustedProxies: readonly string[] = []): (c: Context) => ClientAddress {
  const trusted = new Set(trustedProxies.map(normalize));
  return (c) => {
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string; encrypted?: boolean } } })
      ?.incoming;
    const socket = normalize(incoming?.socket?.remoteAddress ?? 'unknown');
    const direct = { address: socket, https: incoming?.socket?.encrypted === true };
    if (!trusted.has(socket)) return direct;
    const hops = (c.req.header('x-forwarded-for') ?? '').split(',').map(normalize).filter(Boolean);
    let address = socket;
    for (let i = hops.length - 1; i >= 0; i--) {
      address = hops[i] as string;
      if (!trusted.has(address)) break;
    }
    const proto = (c.req.header('x-forwarded-proto') ?? '').split(',').at(-1)?.trim().toLowerCase();
    return { address, https: direct.https || proto === 'https' };
  };
}
