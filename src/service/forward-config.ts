/**
 * The forwarding settings of `serve` and `dev`: `--forward-to URL` (repeatable), `--forward-secret`
 * (`whsec_…`, `env:NAME` or `file:PATH`; generated and shown once when absent), `--forward-types` and
 * `--event-retention`. Checked like every setting: a bad one names itself and the fix, before anything
 * opens.
 */

import { parseWebhookSecret } from '../events/standard-webhooks.js';
import { EVENT_TYPES, isEventType } from '../events/types.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { parseDuration } from '../protocol/schedule.js';
import type { ForwardTarget } from './destinations.js';
import { DEFAULT_EVENT_RETENTION_MS } from './forwarding.js';
import { resolveSecretText } from './secret-file.js';

export interface ForwardSettings {
  targets: ForwardTarget[];
  eventRetentionMs: number;
}

/** A setting as given, and where (a flag, a variable, the config file). */
export type Located = { value: unknown; from: string } | undefined;

const list = (v: unknown): string[] =>
  (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? v.split(',') : [])
    .map((s) => s.trim())
    .filter(Boolean);

function invalid(setting: string, message: string, hint: string): AuthNotifyError {
  return new AuthNotifyError('CONFIG_INVALID', `${setting}: ${message}`, { hint });
}

/**
 * @example
 * resolveForwardSettings({ forwardTo: { value: ['https://example.com/events'], from: '--forward-to' } }, env, warn);
 */
export function resolveForwardSettings(
  located: {
    forwardTo?: Located;
    forwardSecret?: Located;
    forwardTypes?: Located;
    eventRetention?: Located;
  },
  env: NodeJS.ProcessEnv,
  warn: (message: string) => void,
): ForwardSettings {
  const urls = list(located.forwardTo?.value);
  for (const url of urls) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:'))
      throw invalid(
        located.forwardTo?.from ?? '--forward-to',
        `"${url.slice(0, 100)}" is not an http(s) URL`,
        'Give the full URL of your endpoint, e.g. https://example.com/authnotify/events; repeat for several.',
      );
  }
  let secret: string | undefined;
  const secretAt = located.forwardSecret;
  if (secretAt) {
    if (urls.length === 0)
      throw invalid(
        secretAt.from,
        'is given without --forward-to',
        'Add --forward-to URL, or drop the secret.',
      );
    secret = resolveSecretText(String(secretAt.value ?? ''), env, secretAt.from, warn).trim();
    try {
      parseWebhookSecret(secret, secretAt.from);
    } catch (error) {
      throw new AuthNotifyError('CONFIG_INVALID', (error as Error).message, {
        hint: 'Leave --forward-secret out to have one generated and shown once, or give whsec_… (env:NAME or file:PATH work too).',
      });
    }
  }
  const types = list(located.forwardTypes?.value);
  for (const type of types)
    if (!isEventType(type))
      throw invalid(
        located.forwardTypes?.from ?? '--forward-types',
        `"${type.slice(0, 64)}" is not an event type`,
        `Event types: ${EVENT_TYPES.join(', ')}.`,
      );
  if (types.length > 0 && urls.length === 0)
    throw invalid(
      located.forwardTypes?.from ?? '--forward-types',
      'is given without --forward-to',
      'Add --forward-to URL.',
    );
  let eventRetentionMs = DEFAULT_EVENT_RETENTION_MS;
  if (located.eventRetention) {
    const text = String(located.eventRetention.value);
    try {
      eventRetentionMs = parseDuration(text);
    } catch {
      eventRetentionMs = Number.NaN;
    }
    if (!(eventRetentionMs >= 3_600_000))
      throw invalid(
        located.eventRetention.from,
        `"${text.slice(0, 40)}" is not a duration of an hour or more`,
        'For example 30d (the default), 7d or 12h.',
      );
  }
  return {
    targets: urls.map((url) => ({
      url,
      ...(secret ? { secret } : {}),
      ...(types.length > 0 ? { types } : {}),
    })),
    eventRetentionMs,
  };
}
