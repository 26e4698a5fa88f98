/**
 * One contract for every adapter: real HTTP on 127.0.0.1 through the framework, the exact raw bytes reach
 * the receiver, and the answers are the receiver's own.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_CONSUMED_MESSAGE, expressHandler } from '../../src/adapters/express.js';
import { authnotifyFastify } from '../../src/adapters/fastify.js';
import { honoHandler } from '../../src/adapters/hono.js';
import { nextRouteHandlers } from '../../src/adapters/nextjs.js';
import { sendWebResponse, toNodeHandler, toWebRequest } from '../../src/adapters/node-http.js';
import type { Receiver } from '../../src/receiver/receiver.js';
import { CLIENT_ID, OK, recordingLogger, signAsFixtureAlipay, testReceiver } from '../helpers/receiver.js';

const ACK = '{"result":{"resultCode":"SUCCESS","resultStatus":"S","resultMessage":"success"}}';
const PATH = '/alipay/notify/authorization';

interface Running {
  url: string;
  close: () => Promise<void>;
}

function listen(server: Server): Promise<Running> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

const adapters: [string, (receiver: Receiver) => Promise<Running>][] = [
  ['node:http', (receiver) => listen(createServer(toNodeHandler(receiver)))],
  [
    'Express',
    (receiver) => {
      const app = express();
      app.post(PATH, expressHandler(receiver));
      app.all(PATH, expressHandler(receiver));
      app.use(express.json());
      return listen(createServer(app));
    },
  ],
  [
    'Fastify',
    async (receiver) => {
      const app = Fastify();
      await app.register(authnotifyFastify(receiver) as never);
      const address = await app.listen({ port: 0, host: '127.0.0.1' });
      return { url: address, close: () => app.close() };
    },
  ],
  [
    'Hono',
    (receiver) => {
      const app = new Hono();
      app.all(PATH, honoHandler(receiver));
      return new Promise((resolve) => {
        const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
          resolve({
            url: `http://127.0.0.1:${info.port}`,
            close: () => new Promise((r) => server.close(() => r())),
          });
        });
      });
    },
  ],
  [
    'Next.js route handlers (Web Request in, Response out)',
    (receiver) => {
      const { POST } = nextRouteHandlers(receiver);
      return listen(
        createServer((req, res) => void POST(toWebRequest(req)).then((r) => sendWebResponse(res, r))),
      );
    },
  ],
];

const chinese = JSON.stringify({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken: 'T-adapter',
  reason: '用户在钱包中取消了授权 🙂',
  result: OK,
});

describe.each(adapters)('adapter contract: %s', (_name, start) => {
  let t: Awaited<ReturnType<typeof testReceiver>>;
  let running: Running;
  beforeAll(async () => {
    t = await testReceiver();
    running = await start(t.receiver);
  });
  afterAll(async () => {
    await running.close();
    await t.store.close();
  });

  async function post(body: string | Uint8Array, headers: Record<string, string>, path = PATH) {
    const response = await fetch(`${running.url}${path}`, { method: 'POST', headers, body });
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      text: await response.text(),
    };
  }

  it('delivers the exact raw bytes and acknowledges', async () => {
    const signed = await signAsFixtureAlipay(chinese, { now: t.clock.now() });
    const answer = await post(signed.body, signed.headers);
    expect(answer).toEqual({ status: 200, type: 'application/json; charset=UTF-8', text: ACK });
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    expect(Buffer.from(await t.receiver.rawBodyOf(row as never)).equals(Buffer.from(chinese, 'utf8'))).toBe(
      true,
    );
  });

  it('verifies a path with a query string as sent', async () => {
    const path = `${PATH}?tenant=a%2Fb&x=1`;
    const signed = await signAsFixtureAlipay(
      { ...JSON.parse(chinese), accessToken: 'T-query' },
      { path, now: t.clock.now() },
    );
    expect((await post(signed.body, signed.headers, path)).status).toBe(200);
  });

  it.each([
    [
      'a bad signature',
      {
        'Content-Type': 'application/json',
        'Client-Id': CLIENT_ID,
        'Request-Time': '1',
        Signature: 'algorithm=RSA256,keyVersion=1,signature=AAAA',
      },
      '{}',
      401,
      'INVALID_SIGNATURE',
    ],
    [
      'a form body',
      { 'Content-Type': 'application/x-www-form-urlencoded' },
      'a=1',
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ],
    ['a 100 KiB body', { 'Content-Type': 'application/json' }, 'x'.repeat(100 * 1024), 413, 'BODY_TOO_LARGE'],
  ])('answers %s exactly as the receiver does', async (_label, headers, body, status, code) => {
    const answer = await post(body, headers);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text)).toMatchObject({ result: { resultCode: code, resultStatus: 'F' } });
  });
});

describe('Express with express.json() in front', () => {
  it('explains that the raw body is gone instead of failing the signature, and logs it as an error', async () => {
    const { seen, logger } = recordingLogger();
    const t = await testReceiver({ logger });
    const app = express();
    app.use(express.json());
    app.post(PATH, expressHandler(t.receiver));
    const running = await listen(createServer(app));
    try {
      const signed = await signAsFixtureAlipay(chinese, { now: t.clock.now() });
      const response = await fetch(`${running.url}${PATH}`, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toMatchObject({
        result: { resultStatus: 'U', resultMessage: BODY_CONSUMED_MESSAGE },
      });
      expect(seen.error).toEqual([`notification refused: ${BODY_CONSUMED_MESSAGE}`]);
    } finally {
      await running.close();
    }
  });

  it('works with express.raw() in front', async () => {
    const t = await testReceiver();
    const app = express();
    app.post(PATH, express.raw({ type: 'application/json' }), expressHandler(t.receiver));
    const running = await listen(createServer(app));
    try {
      const signed = await signAsFixtureAlipay(chinese, { now: t.clock.now() });
      const response = await fetch(`${running.url}${PATH}`, {
        method: 'POST',
        headers: signed.headers,
        body: signed.body,
      });
      expect(await response.text()).toBe(ACK);
    } finally {
      await running.close();
    }
  });
});
