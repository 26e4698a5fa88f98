/**
 * Dashboard sessions as signed cookies, so that a session started on one `serve` process works on every
 * other behind the same load balancer: `v1.<id>.<expires>.<mac>`, the MAC a keyed hash derived from the
 * service's secret key (every process has the same one) over the id, the expiry and a fingerprint of the
 * admin token, so that changing the admin token ends every session. Nothing is kept in memory.
 */
import { sha256Hex, timingSafeEqualString, utf8 } from '../protocol/bytes.js';
import type { Secrets } from '../receiver/secrets.js';

export interface Session {
  id: string;
  csrf: string;
  expires: number;
}

export class SessionCookies {
  readonly #secrets: Secrets;
  readonly #admin: Promise<string>;
  readonly #lifetimeMs: number;

  constructor(secrets: Secrets, adminToken: string, lifetimeMs: number) {
    this.#secrets = secrets;
    this.#admin = sha256Hex(utf8(adminToken));
    this.#lifetimeMs = lifetimeMs;
  }

  async #mac(id: string, expires: number): Promise<string> {
    return this.#secrets.tokenHash(`authnotify-dashboard-session/v1|${id}|${expires}|${await this.#admin}`);
  }

  async #csrf(id: string): Promise<string> {
    return (await this.#secrets.tokenHash(`authnotify-dashboard-csrf/v1|${id}`)).slice(0, 43);
  }

  /** A new session: the cookie's value, and the session it stands for. */
  async issue(now: number): Promise<{ value: string; session: Session }> {
    const id = crypto
      .getRandomValues(new Uint8Array(24))
      .reduce((s, b) => s + b.toString(16).padStart(2, '0'), '');
    const expires = now + this.#lifetimeMs;
    const value = `v1.${id}.${expires}.${await this.#mac(id, expires)}`;
    return { value, session: { id, csrf: await this.#csrf(id), expires } };
  }

  /** The session a cookie stands for, or undefined when it is missing, altered, expired or for another admin token. */
  async read(value: string | undefined, now: number): Promise<Session | undefined> {
    if (!value) return undefined;
    const parts = value.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
    const [, id, expiresText, mac] = parts as [string, string, string, string];
    const expires = Number(expiresText);
    if (!/^[0-9a-f]{48}$/.test(id) || !Number.isSafeInteger(expires) || expires < now) return undefined;
    if (!timingSafeEqualString(mac, await this.#mac(id, expires))) return undefined;
    return { id, csrf: await this.#csrf(id), expires };
  }
}
