import { describe, expect, it } from 'vitest';
import { generateWebhookSecret } from '../../src/events/standard-webhooks.js';
import { ManualClock } from '../../src/protocol/clock.js';
import { createNodeSecrets } from '../../src/receiver/node-secrets.js';
import { Destinations } from '../../src/service/destinations.js';
import { createMemoryStore } from '../../src/testing/memory-store.js';

function setup() {
  const store = createMemoryStore();
  const clock = new ManualClock(1_000_000);
  return { store, clock, destinations: new Destinations(store, createNodeSecrets('d'.repeat(64)), clock) };
}

describe('destinations from --forward-to', () => {
  it('makes one per URL with a secret shown once, keeps it on the next start, and follows the flags', async () => {
    const { store, destinations } = setup();
    const url = 'http://127.0.0.1:9/events';
    const [first] = await destinations.syncConfigured([{ url }]);
    expect(first?.generatedSecret).toMatch(/^whsec_/);
    const [again] = await destinations.syncConfigured([{ url }]);
    expect(again?.destination.id).toBe(first?.destination.id);
    expect(again?.generatedSecret).toBeUndefined(); // not shown again
    expect((await destinations.revealSecrets(first?.destination.id as string)).map((s) => s.secret)).toEqual([
      first?.generatedSecret,
    ]);
    // the secret stored is sealed, never the plaintext
    expect(JSON.stringify(await store.events.listDestinations())).not.toContain(first?.generatedSecret);
    // a secret given in the flags replaces it; types follow the flags
    const given = generateWebhookSecret();
    await destinations.syncConfigured([{ url, secret: given, types: ['authorization.canceled'] }]);
    const id = first?.destination.id as string;
    expect((await destinations.revealSecrets(id)).map((s) => s.secret)).toEqual([given]);
    expect((await store.events.getDestination(id))?.types).toEqual(['authorization.canceled']);
    // dropped from the flags: paused (not deleted); back in the flags: active again
    await destinations.syncConfigured([]);
    expect(await store.events.getDestination(id)).toMatchObject({
      status: 'PAUSED',
      disabledReason: 'no longer given with --forward-to',
    });
    await destinations.syncConfigured([{ url, secret: given }]);
    expect(await store.events.getDestination(id)).toMatchObject({ status: 'ACTIVE', disabledReason: null });
  });

  it('rotates a secret with an overlap during which both sign, then the new one alone', async () => {
    const { clock, destinations } = setup();
    const { destination, secret } = await destinations.create({ url: 'https://example.com/events' });
    const rotated = await destinations.rotate(destination.id, { overlapMs: 60_000 });
    expect((await destinations.revealSecrets(destination.id)).map((s) => s.secret)).toEqual([
      rotated.secret,
      secret,
    ]);
    clock.advance(60_001);
    expect((await destinations.revealSecrets(destination.id)).map((s) => s.secret)).toEqual([rotated.secret]);
    // a rotation with no overlap drops the old one at once
    const next = await destinations.rotate(destination.id, { overlapMs: 0 });
    expect((await destinations.revealSecrets(destination.id)).map((s) => s.secret)).toEqual([next.secret]);
    await expect(destinations.rotate(destination.id, { overlapMs: 8 * 86_400_000 })).rejects.toMatchObject({
      code: 'PARAM_ILLEGAL',
    });
    await expect(destinations.rotate('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it.each([
    [{ url: 'mailto:x@example.com' }, /http or https/],
    [
      { url: 'https://example.com/e', types: ['authorization.paused'] },
      /unknown event type "authorization.paused"/,
    ],
    [{ url: 'https://example.com/e', secret: 'not-a-secret' }, /does not start with "whsec_"/],
    [{ url: `https://example.com/${'x'.repeat(2100)}` }, /at most 2,048/],
  ])('refuses %j with PARAM_ILLEGAL', async (input, message) => {
    const { destinations } = setup();
    await expect(destinations.create(input)).rejects.toMatchObject({
      code: 'PARAM_ILLEGAL',
      message: expect.stringMatching(message),
    });
  });
});
