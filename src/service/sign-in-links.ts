/**
 * One-time dashboard sign-in links, for `authnotify dev`: the command prints a link that signs the browser
 * in once, within ten minutes, so that nobody has to find the admin token file by hand. Kept in memory: a
 * link is for the process that printed it.
 */
import { toHex } from '../protocol/bytes.js';

const LIFETIME_MS = 10 * 60_000;

export class SignInLinks {
  readonly #codes = new Map<string, number>();

  /** A new code (256 random bits), valid once for ten minutes from `now`. */
  issue(now: number): string {
    const code = toHex(crypto.getRandomValues(new Uint8Array(32)));
    this.#codes.set(code, now + LIFETIME_MS);
    return code;
  }

  /** True, once, for a code issued here and not expired; it cannot be used again. */
  consume(code: string, now: number): boolean {
    const expires = this.#codes.get(code);
    this.#codes.delete(code);
    for (const [c, e] of this.#codes) if (e < now) this.#codes.delete(c);
    return expires !== undefined && expires >= now;
  }
}
