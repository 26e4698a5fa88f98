/**
 * Headers for every page and API answer outside the notify endpoint: no framing (clickjacking), no
 * scripts or foreign resources (the pages are server-rendered and work without JavaScript), no MIME
 * sniffing, no referrer leaking ids in URLs.
 */
import type { MiddlewareHandler } from 'hono';

/** The policy for a page with one inline script (its nonce) that reads this origin (an event stream). */
export function scriptPolicy(nonce: string): string {
  return `${POLICY}; script-src 'nonce-${nonce}'; connect-src 'self'; form-action 'self'`;
}

const POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'";

/**
 * `formsStayHere`: forms may only submit to this origin (the dashboard). The sandbox's wallet forms must
 * not have it: their answer redirects the browser on to the merchant, and browsers apply `form-action` to
 * that redirect too.
 * @example app.use('*', securityHeaders({ formsStayHere: true }));
 */
export function securityHeaders(options: { formsStayHere: boolean }): MiddlewareHandler {
  const policy = options.formsStayHere ? `${POLICY}; form-action 'self'` : POLICY;
  return async (c, next) => {
    await next();
    // A page that runs a script of its own sets a stricter policy with the script's nonce: keep it.
    if (!c.res.headers.has('Content-Security-Policy')) c.header('Content-Security-Policy', policy);
    c.header('X-Frame-Options', 'DENY');
    c.header('X-Content-Type-Options', 'nosniff');
    // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on their own form posts.
    c.header('Referrer-Policy', 'same-origin');
  };
}
