/**
 * The sandbox control API (`/sandbox/v1`): send any notification, inspect deliveries and their attempts,
 * redeliver, set faults, read the API request log. Plus a deliveries page for people.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import { escapeHtml, page } from '../http/html.js';
import { describeIssues, readJsonBody } from '../http/json-body.js';
import { AuthNotifyError } from '../protocol/errors.js';
import { NOTIFY_TYPES } from '../protocol/notification.js';
import { OUTBOX_STATUSES, type OutboxRecord } from '../store/types.js';
import { notifyMerchant, randomToken, type SandboxContext } from './context.js';
import { deliveryPage, deliveryRow, faultsCard, filterLinks } from './delivery-pages.js';
import { FaultSettingsSchema } from './faults.js';
import { formTokenOk } from './guard.js';

export const SendRequest = z
  .object({
    type: z.enum(NOTIFY_TYPES).optional(),
    to: z.url().optional(),
    fields: z.record(z.string(), z.unknown()).optional(),
    body: z
      .string()
      .max(64 * 1024)
      .optional(),
  })
  .strict()
  .refine((r) => r.type !== undefined || r.body !== undefined, {
    message: 'give type (with optional fields) or a raw body',
  });

function delivery(o: OutboxRecord) {
  return {
    id: o.id,
    to: o.targetUrl,
    type: o.type,
    status: o.status,
    run: o.run,
    attempts: o.attempts,
    nextAttemptAt: o.status === 'PENDING' ? new Date(o.nextAttemptAt).toISOString() : null,
    createdAt: new Date(o.createdAt).toISOString(),
  };
}

function err(c: Context, status: number, code: string, message: string): Response {
  return c.json({ error: { code, message } }, status as 400);
}

export function mountControl(app: Hono, ctx: SandboxContext): void {
  const { sender, faults, state, config } = ctx;

  app.post('/sandbox/v1/notifications', async (c) => {
    const body = await readJsonBody(c, SendRequest);
    if (!body.ok) return err(c, 400, 'PARAM_ILLEGAL', body.message);
    const r = body.data;
    if (!r.to && !config.notifyUrl)
      return err(c, 400, 'PARAM_ILLEGAL', 'no notify URL: give "to" or start the sandbox with --notify-url');
    let content: Record<string, unknown> | string;
    if (r.body !== undefined) content = r.body;
    else {
      const type = r.type as (typeof NOTIFY_TYPES)[number];
      const defaults: Record<string, unknown> =
        type === 'AUTHCODE_CREATED'
          ? { authCode: randomToken('ac_'), authState: randomToken('st_') }
          : type === 'TOKEN_CREATED'
            ? { accessToken: randomToken('281001'), authState: randomToken('st_') }
            : { accessToken: randomToken('281001') };
      content = { authorizationNotifyType: type, ...defaults, ...(r.fields ?? {}) };
    }
    const ids = await notifyMerchant(ctx, r.to, content);
    return c.json({ deliveryIds: ids }, 202);
  });

  app.get('/sandbox/v1/deliveries', async (c) => {
    const status = c.req.query('status');
    if (status && !(OUTBOX_STATUSES as readonly string[]).includes(status)) {
      return err(c, 400, 'PARAM_ILLEGAL', `status must be one of ${OUTBOX_STATUSES.join(', ')}`);
    }
    const list = await ctx.sender.list({ status: status as OutboxRecord['status'] | undefined, limit: 200 });
    return c.json({ items: list.map(delivery) });
  });

  app.get('/sandbox/v1/deliveries/:id', async (c) => {
    const found = await sender.get(c.req.param('id'));
    if (!found) return err(c, 404, 'NOT_FOUND', `delivery ${c.req.param('id')} does not exist`);
    return c.json({
      ...delivery(found.delivery),
      body: new TextDecoder().decode(found.delivery.body),
      attempts: found.attempts.map((a) => ({
        run: a.run,
        number: a.number,
        dueAt: new Date(a.dueAt).toISOString(),
        startedAt: new Date(a.startedAt).toISOString(),
        finishedAt: new Date(a.finishedAt).toISOString(),
        requestTime: a.requestTime,
        httpStatus: a.httpStatus,
        verdict: a.verdict,
        errorClass: a.errorClass,
        response: a.responseExcerpt,
      })),
    });
  });

  app.post('/sandbox/v1/deliveries/:id/redeliver', async (c) => {
    try {
      return c.json(delivery(await sender.redeliver(c.req.param('id'))), 202);
    } catch (error) {
      if (error instanceof AuthNotifyError) return err(c, error.status, error.code, error.message);
      throw error;
    }
  });

  app.get('/sandbox/v1/faults', (c) => c.json(faults.settings));
  app.put('/sandbox/v1/faults', async (c) => {
    const body = await readJsonBody(c, FaultSettingsSchema.partial());
    if (!body.ok) return err(c, 400, 'PARAM_ILLEGAL', body.message);
    return c.json(faults.set(body.data as Partial<typeof faults.settings>));
  });
  app.delete('/sandbox/v1/faults', (c) => {
    faults.reset();
    return c.json(faults.settings);
  });

  app.get('/sandbox/v1/requests', (c) => c.json({ items: state.requests() }));

  // The HTML pages' forms carry this token, so a page elsewhere cannot post to a sandbox on localhost.
  const csrf = ctx.formToken;
  const formOk = async (c: Context) => formTokenOk(await c.req.parseBody(), csrf);

  app.get('/sandbox/deliveries', async (c) => {
    const status = c.req.query('status') || undefined;
    const type = c.req.query('type') || undefined;
    const known = (OUTBOX_STATUSES as readonly string[]).includes(status ?? '');
    const rows: string[] = [];
    for (const o of await ctx.sender.list({
      status: known ? (status as OutboxRecord['status']) : undefined,
      limit: 100,
    })) {
      if (type && o.type !== type) continue;
      rows.push(deliveryRow(o, (await sender.get(o.id))?.attempts ?? [], csrf));
    }
    return c.html(
      page(
        'Deliveries',
        `<h1>Deliveries</h1>${faultsCard(faults.settings, csrf)}${filterLinks({ status: known ? status : undefined, type })}
<table><tr><th>Id</th><th>Type</th><th>Status</th><th>Attempts against the schedule</th><th></th></tr>${rows.join('') || '<tr><td colspan="5">None yet.</td></tr>'}</table>`,
      ),
    );
  });

  app.get('/sandbox/deliveries/:id', async (c) => {
    const found = await sender.get(c.req.param('id'));
    if (!found) return c.html(page('Not found', '<h1>No such delivery</h1>'), 404);
    return c.html(page('Delivery', deliveryPage(found.delivery, found.attempts, csrf)));
  });

  app.post('/sandbox/faults/clear', async (c) => {
    if (!(await formOk(c)))
      return c.html(page('Refused', '<h1>Refused: the form did not carry this page’s token</h1>'), 403);
    faults.reset();
    return c.redirect('/sandbox/deliveries', 303);
  });

  app.post('/sandbox/faults', async (c) => {
    if (!(await formOk(c)))
      return c.html(page('Refused', '<h1>Refused: the form did not carry this page’s token</h1>'), 403);
    const form = await c.req.parseBody();
    const patch: Record<string, number> = {};
    for (const key of Object.keys(faults.settings)) {
      const value = form[key];
      if (typeof value === 'string' && value.trim() !== '') patch[key] = Number(value);
    }
    const parsed = FaultSettingsSchema.partial().safeParse(patch);
    if (!parsed.success)
      return c.html(
        page('Invalid', `<h1>Invalid faults</h1><p>${escapeHtml(describeIssues(parsed.error))}</p>`),
        400,
      );
    faults.set(parsed.data as Partial<typeof faults.settings>);
    return c.redirect('/sandbox/deliveries', 303);
  });

  app.post('/sandbox/deliveries/:id/redeliver', async (c) => {
    if (!(await formOk(c)))
      return c.html(page('Refused', '<h1>Refused: the form did not carry this page’s token</h1>'), 403);
    try {
      await sender.redeliver(c.req.param('id'));
    } catch (error) {
      if (!(error instanceof AuthNotifyError)) throw error;
      return c.html(
        page(
          'Not redelivered',
          `<h1>Not redelivered</h1><p>${escapeHtml(error.code)}: ${escapeHtml(error.message)}</p>`,
        ),
        error.status as 400 | 404 | 409,
      );
    }
    return c.redirect('/sandbox/deliveries', 303);
  });
}
