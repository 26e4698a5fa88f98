import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { readJsonBody } from '../../src/http/json-body.js';

const Body = z.object({ to: z.url(), count: z.number().int().positive() }).strict();

const app = new Hono().post('/', async (c) => c.json(await readJsonBody(c, Body)));

async function read(body: string) {
  const response = await app.request('/', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  return response.json();
}

describe('readJsonBody', () => {
  it.each([
    ['a body that is not JSON', '{"to":', 'the body is not JSON'],
    ['a JSON value that is not an object', '42', /^body: /],
    ['a field that fails its rule, named by path', '{"to":"http://127.0.0.1/","count":0}', /^count: /],
    ['two failing fields, joined with ;', '{"to":"nope","count":-1}', /^to: .+; count: /],
  ])('explains %s in one line', async (_name, body, message) => {
    const result = (await read(body)) as { ok: boolean; message: string };
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(message);
  });

  it('returns the validated data for a good body', async () => {
    expect(await read('{"to":"http://127.0.0.1/","count":3}')).toEqual({
      ok: true,
      data: { to: 'http://127.0.0.1/', count: 3 },
    });
  });
});
