import { describe, expect, it } from 'vitest';
import { createApi } from '../../src/service/api.js';
import { OK, testReceiver } from '../helpers/receiver.js';

const TOKEN = 'replay-admin-token-0123456789abcdef';
const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const canceled = (accessToken: string) => ({
  authorizationNotifyType: 'TOKEN_CANCELED',
  accessToken,
  result: OK,
});

async function setup() {
  const t = await testReceiver();
  const seen: string[] = [];
  t.receiver.on('TOKEN_CANCELED', (e) => void seen.push(`${e.id}:${e.outcome}`));
  const app = createApi({ receiver: t.receiver, adminToken: TOKEN });
  return { t, seen, app };
}

describe('replaying processed notifications', () => {
  it("runs a notification's handlers again with its outcome, and never applies its lifecycle twice", async () => {
    const { t, seen, app } = await setup();
    await t.send(canceled('T-replay-1'));
    await t.receiver.drain();
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    const id = row?.id as string;
    expect(seen).toEqual([`${id}:TOMBSTONED`]);
    const answer = await app.request(`/api/v1/notifications/${id}/replay`, { method: 'POST', headers: auth });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ id, status: 'PENDING' });
    expect(await t.receiver.drain()).toBe(1);
    // the same outcome again: deciding it again would have met its own tombstone (NO_CHANGE)
    expect(seen).toEqual([`${id}:TOMBSTONED`, `${id}:TOMBSTONED`]);
    expect(await t.store.getInbox(id)).toMatchObject({
      status: 'PROCESSED',
      outcome: 'TOMBSTONED',
      applied: true,
    });
  });

  it.each([
    ['a notification that is not PROCESSED', 'pending', 409, 'CONFLICT'],
    ['one that does not exist', 'missing', 404, 'NOT_FOUND'],
  ])('refuses %s', async (_name, which, status, code) => {
    const { t, app } = await setup();
    await t.send(canceled('T-replay-pending'));
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    const id = which === 'missing' ? 'no-such-id' : (row?.id as string);
    const answer = await app.request(`/api/v1/notifications/${id}/replay`, { method: 'POST', headers: auth });
    expect(answer.status).toBe(status);
    expect(await answer.json()).toMatchObject({ error: { code } });
  });

  it('replays a filtered batch, newest first, bounded by limit and receipt time', async () => {
    const { t, seen, app } = await setup();
    for (const token of ['T-b-1', 'T-b-2', 'T-b-3']) {
      await t.send(canceled(token));
      t.clock.advance(1000);
    }
    await t.receiver.drain();
    seen.length = 0;
    const since = new Date(t.clock.now() - 2500).toISOString(); // the last two
    const answer = await app.request('/api/v1/notifications/replay', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ type: 'TOKEN_CANCELED', receivedAfter: since, limit: 10 }),
    });
    expect(answer.status).toBe(202);
    expect(await answer.json()).toMatchObject({ replayed: 2 });
    await t.receiver.drain();
    expect(seen).toHaveLength(2);
    const bad = await app.request('/api/v1/notifications/replay', {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ limit: 5000 }),
    });
    expect(bad.status).toBe(400);
  });

  it('asks for confirmation in the dashboard before replaying', async () => {
    const { t, seen, app } = await setup();
    await t.send(canceled('T-replay-ui'));
    await t.receiver.drain();
    const [row] = (await t.store.listInbox({ limit: 1 })).items;
    const login = await app.request('/dashboard/login', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `token=${TOKEN}`,
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const list = await (await app.request('/dashboard/inbox', { headers: { cookie } })).text();
    expect(list).toContain(`href="/dashboard/inbox/${row?.id}/replay">Replay…</a>`);
    const confirm = await (
      await app.request(`/dashboard/inbox/${row?.id}/replay`, { headers: { cookie } })
    ).text();
    expect(confirm).toContain('Run the handlers again');
    const csrf = /name="csrf" value="([^"]+)"/.exec(confirm)?.[1] as string;
    expect(seen).toHaveLength(1); // looking at the confirmation replays nothing
    const done = await app.request(`/dashboard/inbox/${row?.id}/replay`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `csrf=${encodeURIComponent(csrf)}`,
    });
    expect(done.status).toBe(303);
    await t.receiver.drain();
    expect(seen).toHaveLength(2);
  });
});
