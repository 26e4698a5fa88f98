import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import {
  eventJsonSchemas,
  generateWebhookSecret,
  parseWebhookSecret,
  verifyEvent,
  webhookHeaders,
} from '../../src/events/index.js';
import { eventTypeOfChange } from '../../src/events/transitions.js';

const NOW = Date.now();
const SECRET = generateWebhookSecret();
const BODY = JSON.stringify({
  type: 'authorization.canceled',
  timestamp: new Date(NOW).toISOString(),
  data: {
    id: 'au-1',
    status: 'CANCELED',
    previousStatus: 'ACTIVE',
    authState: 'st-1',
    userId: '2088',
    userLoginId: 'a****@example.com',
    authClientId: null,
    merchantUserId: 'm-1',
    reason: 'closed in the wallet',
    notificationId: 'in-1',
    createdAt: new Date(NOW - 1000).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    version: 3,
  },
});

describe('verifyEvent', () => {
  it('verifies and types a delivery the standardwebhooks library signed', async () => {
    const wh = new Webhook(SECRET);
    const signature = wh.sign('evt-1', new Date(NOW), BODY);
    const headers = {
      'webhook-id': 'evt-1',
      'webhook-timestamp': String(Math.floor(NOW / 1000)),
      'webhook-signature': signature,
    };
    const event = await verifyEvent({ body: BODY, headers, secret: SECRET, now: NOW });
    expect(event.id).toBe('evt-1');
    if (event.type !== 'authorization.canceled') throw new Error('narrowing failed');
    expect(event.data.reason).toBe('closed in the wallet');
    // Fetch-style headers and raw bytes work too
    const again = await verifyEvent({
      body: new TextEncoder().encode(BODY),
      headers: new Headers(headers),
      secret: SECRET,
      now: NOW,
    });
    expect(again.type).toBe('authorization.canceled');
  });

  it('signs what the standardwebhooks library verifies, with every secret of a rotation', async () => {
    const old = generateWebhookSecret();
    const headers = await webhookHeaders({ id: 'evt-2', at: Date.now(), body: BODY, secrets: [SECRET, old] });
    expect(headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const s of [SECRET, old])
      expect(new Webhook(s).verify(BODY, headers)).toMatchObject({ type: 'authorization.canceled' });
    // a consumer holding either secret during the overlap verifies with ours too
    await expect(verifyEvent({ body: BODY, headers, secret: [old], now: Date.now() })).resolves.toMatchObject(
      { id: 'evt-2' },
    );
  });

  const good = async () => webhookHeaders({ id: 'evt-3', at: NOW, body: BODY, secrets: [SECRET] });
  it.each([
    [
      'a missing webhook-signature',
      async () => ({ ...(await good()), 'webhook-signature': '' }),
      BODY,
      NOW,
      'HEADER_MISSING',
    ],
    ['a timestamp six minutes old (a replay)', good, BODY, NOW + 6 * 60_000, 'REQUEST_TIME_OUT_OF_WINDOW'],
    [
      'a timestamp that is not a number',
      async () => ({ ...(await good()), 'webhook-timestamp': '12a' }),
      BODY,
      NOW,
      'REQUEST_TIME_OUT_OF_WINDOW',
    ],
    [
      'a body re-serialized by a JSON parser',
      good,
      JSON.stringify(JSON.parse(BODY), null, 2),
      NOW,
      'INVALID_SIGNATURE',
    ],
    [
      'another secret',
      async () => webhookHeaders({ id: 'evt-3', at: NOW, body: BODY, secrets: [generateWebhookSecret()] }),
      BODY,
      NOW,
      'INVALID_SIGNATURE',
    ],
    [
      'another webhook-id',
      async () => ({ ...(await good()), 'webhook-id': 'evt-4' }),
      BODY,
      NOW,
      'INVALID_SIGNATURE',
    ],
    [
      'a v2 signature only',
      async () => ({
        ...(await good()),
        'webhook-signature': (await good())['webhook-signature']?.replace('v1,', 'v2,') ?? '',
      }),
      BODY,
      NOW,
      'INVALID_SIGNATURE',
    ],
  ])('refuses %s', async (_name, headers, body, now, code) => {
    await expect(verifyEvent({ body, headers: await headers(), secret: SECRET, now })).rejects.toMatchObject({
      code,
    });
  });

  it.each([
    ['not JSON', 'nope', 'BODY_INVALID'],
    [
      'an event of a newer version',
      JSON.stringify({ type: 'authorization.paused', timestamp: 'x', data: {} }),
      'EVENT_TYPE_UNKNOWN',
    ],
    [
      'a known type with the wrong data',
      JSON.stringify({ type: 'authorization.canceled', timestamp: 'x', data: { id: 1 } }),
      'BODY_INVALID',
    ],
  ])('refuses a genuine body that is %s', async (_name, body, code) => {
    const headers = await webhookHeaders({ id: 'evt-5', at: NOW, body, secrets: [SECRET] });
    await expect(verifyEvent({ body, headers, secret: SECRET, now: NOW })).rejects.toMatchObject({ code });
  });

  it('keeps fields a later version adds', async () => {
    const body = JSON.stringify({
      ...JSON.parse(BODY),
      extra: 1,
      data: { ...JSON.parse(BODY).data, newField: 'x' },
    });
    const headers = await webhookHeaders({ id: 'evt-6', at: NOW, body, secrets: [SECRET] });
    const event = await verifyEvent({ body, headers, secret: SECRET, now: NOW });
    expect((event.data as unknown as Record<string, unknown>).newField).toBe('x');
  });
});

describe('signing secrets', () => {
  it.each([
    ['', /empty/],
    ['abc', /does not start with "whsec_"/],
    ['whsec_***', /not base64/],
    [`whsec_${Buffer.alloc(16).toString('base64')}`, /holds 16 bytes/],
    [`whsec_${Buffer.alloc(65).toString('base64')}`, /holds 65 bytes/],
  ])('refuses %j, saying why without echoing it', (text, message) => {
    expect(() => parseWebhookSecret(text)).toThrow(message);
    try {
      parseWebhookSecret(text);
    } catch (error) {
      if (text.length > 6) expect((error as Error).message).not.toContain(text);
      expect((error as { code?: string }).code).toBe('CONFIG_INVALID');
    }
  });

  it('generates 32-byte secrets that parse', () => {
    const a = generateWebhookSecret();
    expect(parseWebhookSecret(a)).toHaveLength(32);
    expect(a).not.toBe(generateWebhookSecret());
  });
});

describe('which lifecycle changes are events', () => {
  it.each([
    [{ kind: 'authcode.redirect', from: 'PENDING', to: 'CODE_RECEIVED' }, 'authorization.code_received'],
    [{ kind: 'token.created.notification', from: null, to: 'ACTIVE' }, 'authorization.activated'],
    [{ kind: 'token.created.applyToken', from: 'CODE_RECEIVED', to: 'ACTIVE' }, 'authorization.activated'],
    [{ kind: 'token.refreshed', from: 'ACTIVE', to: 'ACTIVE' }, 'authorization.refreshed'],
    [{ kind: 'token.canceled', from: 'ACTIVE', to: 'CANCELED' }, 'authorization.canceled'],
    [{ kind: 'token.created.notification', from: null, to: 'CANCELED' }, 'authorization.canceled'],
    [{ kind: 'token.revoked', from: 'ACTIVE', to: 'REVOKED' }, 'authorization.revoked'],
    [{ kind: 'token.expired', from: 'ACTIVE', to: 'EXPIRED' }, 'authorization.expired'],
    [{ kind: 'applyToken.failed', from: 'CODE_RECEIVED', to: 'FAILED' }, 'authorization.failed'],
    [{ kind: 'wallet.declined', from: 'PENDING', to: 'FAILED' }, 'authorization.failed'],
    [{ kind: 'authcode.notification', from: 'ACTIVE', to: 'ACTIVE' }, undefined],
    [{ kind: 'token.created.applyToken', from: 'ACTIVE', to: 'ACTIVE' }, undefined],
  ] as const)('%j emits %s', (change, type) => {
    expect(eventTypeOfChange(change)).toBe(type);
  });

  it('publishes a JSON Schema for every type', () => {
    const schemas = eventJsonSchemas();
    expect(Object.keys(schemas)).toHaveLength(8);
    expect(schemas['authorization.canceled']).toMatchObject({
      type: 'object',
      required: expect.arrayContaining(['type', 'timestamp', 'data']),
    });
  });
});
