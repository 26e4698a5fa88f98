/**
 * Keeps web pages elsewhere from driving a sandbox on localhost (issue 11, section 5): a page can send a
 * cross-origin `no-cors` POST with a simple content type, which would make the sandbox sign a notification
 * and deliver it where the page says (under `authnotify dev`, into the local service). So:
 * - the control API takes `application/json` only (browsers cannot send it cross-origin without a CORS
 *   preflight, which the sandbox never grants);
 * - every state-changing request with an `Origin` must come from the sandbox's own origin;
 * - the `Host` must name this machine (DNS rebinding), unless the sandbox is bound to every address;
 * - every HTML form carries the sandbox's form token (checked with `formTokenOk`).
 * The Alipay API paths (`/ams/…`) are called server to server and verified by signature instead.
 */
import type { Context, Hono } from 'hono';
import { timingSafeEqualString } from '../protocol/bytes.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function refuse(c: Context, status: 403 | 415, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status);
}

/** Whether a Host header names this sandbox: a loopback name, or the address it is bound to. */
function hostAllowed(host: string | undefined, boundHost: string): boolean {
  if (boundHost === '0.0.0.0' || boundHost === '::') return true;
  if (!host) return false;
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
  return LOOPBACK_NAMES.has(name.toLowerCase()) || name === boundHost || `[${boundHost}]` === name;
}

/**
 * Mounts the checks in front of every route.
 * @example mountGuard(app, { boundHost: '127.0.0.1' });
 */
export function mountGuard(app: Hono, options: { boundHost: string }): void {
  app.use('*', async (c, next) => {
    if (SAFE_METHODS.has(c.req.method) || c.req.path.startsWith('/ams/')) return next();
    const host = c.req.header('host');
    if (!hostAllowed(host, options.boundHost))
      return refuse(c, 403, 'FORBIDDEN_HOST', `Host "${host ?? ''}" is not this sandbox`);
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== 'null') {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = '';
      }
      if (originHost !== host)
        return refuse(c, 403, 'FORBIDDEN_ORIGIN', `requests from ${origin} may not change this sandbox`);
    } else if (origin === 'null') {
      return refuse(c, 403, 'FORBIDDEN_ORIGIN', 'requests from an opaque origin may not change this sandbox');
    }
    if (c.req.path.startsWith('/sandbox/v1/')) {
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase();
      if (type !== 'application/json')
        return refuse(
          c,
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          'the control API takes Content-Type: application/json (so that other web pages cannot call it)',
        );
    }
    return next();
  });
}

/** Whether a submitted form carries the sandbox's form token. */
export function formTokenOk(form: Record<string, unknown>, token: string): boolean {
  return typeof form.csrf === 'string' && timingSafeEqualString(form.csrf, token);
}
