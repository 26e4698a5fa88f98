/**
 * The wallet a user sees: the authorization page (Agree / Decline) that consult's normalUrl points to, and
 * an account page listing the user's authorizations with "Cancel authorization".
 */
import type { Context, Hono } from 'hono';
import { escapeHtml, page } from '../http/html.js';
import { maskToken } from '../protocol/mask.js';
import { issueToken, notifyMerchant, randomToken, type SandboxContext, userIdFor } from './context.js';
import { formTokenOk } from './guard.js';

const DEFAULT_LOGIN = 'sandbox-user@example.com';
const AUTO_DEBIT_SCOPE = 'AGREEMENT_PAY';

function html(c: Context, body: string, status = 200): Response {
  return c.html(body, status as 200);
}

function refusedForm(c: Context): Response {
  return html(c, page('Refused', '<h1>Refused: the form did not carry this page’s token</h1>'), 403);
}

export function mountWallet(app: Hono, ctx: SandboxContext): void {
  const { state } = ctx;

  app.get('/wallet/authorize/:id', (c) => {
    const consult = state.consult(c.req.param('id'));
    if (!consult)
      return html(c, page('Not found', '<h1>This authorization request does not exist</h1>'), 404);
    if (consult.status !== 'PENDING') {
      return html(
        c,
        page('Already decided', `<h1>This request was already ${consult.status.toLowerCase()}</h1>`),
        409,
      );
    }
    const scopes = consult.scopes
      .map(
        (s) =>
          `<li><code>${escapeHtml(s)}</code>${s === AUTO_DEBIT_SCOPE ? ' — pay automatically without asking each time (Auto Debit)' : ''}</li>`,
      )
      .join('');
    return html(
      c,
      page(
        'Authorize',
        `<h1>Authorize ${escapeHtml(consult.clientId)}</h1>
<div class="card"><p>This merchant asks for:</p><ul>${scopes}</ul>
<p class="muted">Returns to ${escapeHtml(new URL(consult.authRedirectUrl).origin)}</p></div>
<form method="post" action="/wallet/authorize/${escapeHtml(consult.id)}"><input type="hidden" name="csrf" value="${ctx.formToken}">
<p><label>Wallet login <input name="userLoginId" value="${DEFAULT_LOGIN}" size="32"></label></p>
<button name="decision" value="agree" id="agree">Agree</button>
<button name="decision" value="decline" id="decline" class="secondary">Decline</button></form>`,
      ),
    );
  });

  app.post('/wallet/authorize/:id', async (c) => {
    const consult = state.consult(c.req.param('id'));
    if (!consult)
      return html(c, page('Not found', '<h1>This authorization request does not exist</h1>'), 404);
    const form = await c.req.parseBody();
    if (!formTokenOk(form, ctx.formToken)) return refusedForm(c);
    const decision = form.decision === 'decline' ? 'DECLINED' : 'AGREED';
    if (!state.decide(consult.id, decision)) {
      return html(
        c,
        page(
          'Already decided',
          `<h1>This request was already ${state.consult(consult.id)?.status.toLowerCase()}</h1>`,
        ),
        409,
      );
    }
    const back = new URL(consult.authRedirectUrl);
    back.searchParams.set('authState', consult.authState);
    if (decision === 'DECLINED') {
      back.searchParams.set('error', 'USER_DECLINED');
      return c.redirect(back.href, 303);
    }
    const login =
      typeof form.userLoginId === 'string' && form.userLoginId.trim() !== ''
        ? form.userLoginId.trim().slice(0, 64)
        : DEFAULT_LOGIN;
    const userId = userIdFor(login);
    const authCode = randomToken('ac_');
    state.addCode(authCode, consult.id, userId, login, ctx.clock.now() + 10 * 60_000);
    const user = {
      userLoginId: login,
      userId,
      ...(consult.authClientId ? { authClientId: consult.authClientId } : {}),
    };
    if (consult.scopes.includes(AUTO_DEBIT_SCOPE)) {
      await notifyMerchant(ctx, consult.authNotifyUrl, {
        authorizationNotifyType: 'AUTHCODE_CREATED',
        authCode,
        authState: consult.authState,
        ...user,
      });
    } else {
      // Without Auto Debit the token exists at once; applyToken with the code returns this same token.
      const token = issueToken(ctx, consult.id, userId, login, consult.scopes);
      await notifyMerchant(ctx, consult.authNotifyUrl, {
        authorizationNotifyType: 'TOKEN_CREATED',
        accessToken: token.accessToken,
        authState: consult.authState,
        ...user,
      });
    }
    back.searchParams.set('authCode', authCode);
    return c.redirect(back.href, 303);
  });

  app.get('/wallet/account', (c) => {
    const login = c.req.query('user') ?? DEFAULT_LOGIN;
    const rows = state
      .tokensOf(login)
      .map((t) => {
        const consult = state.consult(t.consultId);
        const action =
          t.status === 'ACTIVE'
            ? `<form method="post" action="/wallet/account/cancel"><input type="hidden" name="csrf" value="${ctx.formToken}"><input type="hidden" name="accessToken" value="${escapeHtml(t.accessToken)}">
<input type="hidden" name="user" value="${escapeHtml(login)}"><input name="reason" placeholder="reason (optional)" size="16">
<button class="secondary" data-token="${escapeHtml(maskToken(t.accessToken))}">Cancel authorization</button></form>`
            : escapeHtml(t.reason ?? '');
        return `<tr><td>${escapeHtml(consult?.clientId ?? '?')}</td><td>${escapeHtml(t.scopes.join(', '))}</td><td><span class="badge">${escapeHtml(t.status)}</span></td><td>${action}</td></tr>`;
      })
      .join('');
    return html(
      c,
      page(
        'Your authorizations',
        `<h1>Authorizations of ${escapeHtml(login)}</h1><table><tr><th>Merchant</th><th>Scopes</th><th>Status</th><th></th></tr>${rows || '<tr><td colspan="4">None yet.</td></tr>'}</table>`,
      ),
    );
  });

  app.post('/wallet/account/cancel', async (c) => {
    const form = await c.req.parseBody();
    if (!formTokenOk(form, ctx.formToken)) return refusedForm(c);
    const accessToken = typeof form.accessToken === 'string' ? form.accessToken : '';
    const login = typeof form.user === 'string' ? form.user : DEFAULT_LOGIN;
    const reason =
      typeof form.reason === 'string' && form.reason.trim() !== ''
        ? form.reason.trim().slice(0, 256)
        : undefined;
    const token = ctx.state.token(accessToken);
    if (
      token &&
      token.userLoginId === login &&
      ctx.state.endToken(accessToken, 'CANCELED', ctx.clock.now(), reason ?? null)
    ) {
      const consult = ctx.state.consult(token.consultId);
      await notifyMerchant(ctx, consult?.authNotifyUrl, {
        authorizationNotifyType: 'TOKEN_CANCELED',
        accessToken,
        ...(reason ? { reason } : {}),
      });
    }
    return c.redirect(`/wallet/account?user=${encodeURIComponent(login)}`, 303);
  });
}
