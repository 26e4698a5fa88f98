/**
 * Forwarding destinations as the service manages them: secrets sealed with the secret key before they
 * are stored (shown once, when made), rotation with an overlap during which both secrets sign, pause,
 * resume, and the `--forward-to` destinations kept in step with the flags.
 */

import { generateWebhookSecret, parseWebhookSecret } from '../events/standard-webhooks.js';
import { EVENT_TYPES, isEventType } from '../events/types.js';
import { checkHttpUrl } from '../http/url.js';
import { fromBase64, sha256Hex, toBase64, utf8 } from '../protocol/bytes.js';
import type { Clock } from '../protocol/clock.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { uuidv7 } from '../protocol/ids.js';
import type { Secrets } from '../receiver/secrets.js';
import type { DestinationRecord, DestinationSecret } from '../store/event-types.js';
import type { Store } from '../store/types.js';

/** How long a rotated-out secret keeps signing by default: 24 h. */
export const DEFAULT_ROTATION_OVERLAP_MS = 24 * 3_600_000;

/** A destination from `--forward-to` (and `--forward-secret`, `--forward-types`). */
export interface ForwardTarget {
  url: string;
  /** `whsec_…`; one is generated (and shown once) when absent. */
  secret?: string | undefined;
  types?: readonly string[] | undefined;
}

/** Checks a destination URL: http or https, absolute, at most 2,048 characters. */
export function checkDestinationUrl(text: string): string {
  return checkHttpUrl(text, 'destination URLs', 'https://example.com/authnotify/events').href;
}

/** Checks an event type filter: known types, no repeats; empty or absent means every type. */
export function checkEventTypes(types: readonly string[] | undefined | null): string[] | null {
  if (!types || types.length === 0) return null;
  const unknown = types.filter((t) => !isEventType(t));
  if (unknown.length > 0)
    throw new AuthNotifyError(
      'PARAM_ILLEGAL',
      `unknown event type ${unknown.map((t) => `"${t.slice(0, 64)}"`).join(', ')}`,
      {
        hint: `Event types: ${EVENT_TYPES.join(', ')}.`,
      },
    );
  return [...new Set(types)];
}

export class Destinations {
  readonly #store: Store;
  readonly #secrets: Secrets;
  readonly #clock: Clock;

  constructor(store: Store, secrets: Secrets, clock: Clock) {
    this.#store = store;
    this.#secrets = secrets;
    this.#clock = clock;
  }

  async #seal(secret: string, now: number, expiresAt: number | null = null): Promise<DestinationSecret> {
    try {
      parseWebhookSecret(secret);
    } catch (error) {
      // A secret someone gave us: their input, a 400 (the command line checks its flags before this).
      throw new AuthNotifyError('PARAM_ILLEGAL', (error as Error).message);
    }
    return { sealed: toBase64(await this.#secrets.seal(utf8(secret.trim()))), createdAt: now, expiresAt };
  }

  /** Opens a sealed secret (the forwarder's `openSecret`). */
  readonly open = async (sealed: string): Promise<string> =>
    new TextDecoder().decode(await this.#secrets.open(fromBase64(sealed)));

  async #get(id: string): Promise<DestinationRecord> {
    const found = await this.#store.events.getDestination(id);
    if (!found) throw new AuthNotifyError('NOT_FOUND', `destination ${id} does not exist`);
    return found;
  }

  /**
   * Makes a destination; answers it with its secret in plaintext, the only time the secret is shown.
   *
   * @example
   * const { destination, secret } = await destinations.create({ url: 'https://example.com/events' });
   */
  async create(input: {
    url: string;
    secret?: string | undefined;
    types?: readonly string[] | undefined | null;
    description?: string | undefined;
  }): Promise<{ destination: DestinationRecord; secret: string }> {
    const url = checkDestinationUrl(input.url);
    const types = checkEventTypes(input.types);
    const secret = input.secret?.trim() || generateWebhookSecret();
    const now = this.#clock.now();
    const destination = await this.#store.events.createDestination({
      id: uuidv7(now),
      url,
      description: input.description?.slice(0, 200) ?? null,
      types,
      secrets: [await this.#seal(secret, now)],
      source: 'api',
      createdAt: now,
    });
    return { destination, secret };
  }

  /**
   * A new secret; the current ones keep signing until `overlapMs` from now (default 24 h), so that a
   * consumer can take the new secret without missing a delivery. Answers the new secret, shown once.
   */
  async rotate(
    id: string,
    options: { secret?: string | undefined; overlapMs?: number | undefined } = {},
  ): Promise<{ destination: DestinationRecord; secret: string }> {
    const current = await this.#get(id);
    const now = this.#clock.now();
    const overlap = options.overlapMs ?? DEFAULT_ROTATION_OVERLAP_MS;
    if (!(overlap >= 0 && overlap <= 7 * 86_400_000))
      throw new AuthNotifyError('PARAM_ILLEGAL', 'the overlap is between 0 and 7 days');
    const secret = options.secret?.trim() || generateWebhookSecret();
    const kept = current.secrets
      .filter((s) => s.expiresAt === null || s.expiresAt > now)
      .map((s) => ({ ...s, expiresAt: Math.min(s.expiresAt ?? Number.POSITIVE_INFINITY, now + overlap) }))
      .filter((s) => s.expiresAt > now);
    const secrets = [await this.#seal(secret, now), ...kept];
    const destination = await this.#update(id, { secrets });
    return { destination, secret };
  }

  /** The secrets that sign now, newest first, in plaintext (the admin API's "show secret"). */
  async revealSecrets(id: string): Promise<{ secret: string; expiresAt: number | null }[]> {
    const now = this.#clock.now();
    const d = await this.#get(id);
    const live = d.secrets
      .filter((s) => s.expiresAt === null || s.expiresAt > now)
      .sort((a, b) => b.createdAt - a.createdAt);
    return Promise.all(
      live.map(async (s) => ({ secret: await this.open(s.sealed), expiresAt: s.expiresAt })),
    );
  }

  async #update(
    id: string,
    change: Parameters<Store['events']['updateDestination']>[1],
  ): Promise<DestinationRecord> {
    const updated = await this.#store.events.updateDestination(id, change, this.#clock.now());
    if (!updated) throw new AuthNotifyError('NOT_FOUND', `destination ${id} does not exist`);
    return updated;
  }

  /** Stops deliveries; events keep coming and are delivered after `resume`. */
  pause(id: string): Promise<DestinationRecord> {
    return this.#update(id, { status: 'PAUSED', disabledReason: null });
  }

  /** Delivers again, from where it stopped (a disabled destination too). */
  resume(id: string): Promise<DestinationRecord> {
    return this.#update(id, { status: 'ACTIVE', disabledReason: null });
  }

  async delete(id: string): Promise<void> {
    if (!(await this.#store.events.deleteDestination(id)))
      throw new AuthNotifyError('NOT_FOUND', `destination ${id} does not exist`);
  }

  /**
   * Keeps the `--forward-to` destinations in step with the flags: each URL has one destination (its id
   * derived from the URL, so several processes started with the same flags share it), made on first use
   * with the given secret or a generated one (answered, to be shown once); a changed secret or type filter
   * is applied; a configured destination no longer in the flags is paused, not deleted.
   */
  async syncConfigured(
    targets: readonly ForwardTarget[],
  ): Promise<{ destination: DestinationRecord; generatedSecret: string | undefined }[]> {
    const now = this.#clock.now();
    const out: { destination: DestinationRecord; generatedSecret: string | undefined }[] = [];
    const wanted = new Set<string>();
    for (const target of targets) {
      const url = checkDestinationUrl(target.url);
      const types = checkEventTypes(target.types);
      const id = `cfg_${(await sha256Hex(utf8(url))).slice(0, 24)}`;
      wanted.add(id);
      const existing = await this.#store.events.getDestination(id);
      if (!existing) {
        const secret = target.secret?.trim() || generateWebhookSecret();
        const destination = await this.#store.events.createDestination({
          id,
          url,
          description: 'from --forward-to',
          types,
          secrets: [await this.#seal(secret, now)],
          source: 'config',
          createdAt: now,
        });
        // Another process may have made it first: its secret stands, and this one is not shown.
        const mine = (await this.revealSecrets(id))[0]?.secret === secret;
        out.push({ destination, generatedSecret: !target.secret && mine ? secret : undefined });
        continue;
      }
      const change: Parameters<Store['events']['updateDestination']>[1] = {};
      if (JSON.stringify(existing.types) !== JSON.stringify(types)) change.types = types;
      const newest = (await this.revealSecrets(id))[0]?.secret;
      if (target.secret && target.secret.trim() !== newest)
        change.secrets = [await this.#seal(target.secret, now)];
      if (existing.status === 'PAUSED' && existing.disabledReason === NOT_CONFIGURED) {
        change.status = 'ACTIVE';
        change.disabledReason = null;
      }
      const destination = Object.keys(change).length > 0 ? await this.#update(id, change) : existing;
      out.push({ destination, generatedSecret: undefined });
    }
    for (const d of await this.#store.events.listDestinations()) {
      if (d.source === 'config' && !wanted.has(d.id) && d.status !== 'PAUSED')
        await this.#update(d.id, { status: 'PAUSED', disabledReason: NOT_CONFIGURED });
    }
    return out;
  }
}

const NOT_CONFIGURED = 'no longer given with --forward-to';
