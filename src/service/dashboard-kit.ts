/**
 * What the dashboard's page modules share: the page frame, the session, time formatting, and the forms
 * and banners of its actions.
 */
import type { Context } from 'hono';
import { escapeHtml } from '../http/html.js';
import { AuthNotifyError } from '../protocol/errors.js';
import type { Session } from './dashboard-session.js';

/** What the dashboard's other page modules use: the page frame, the session and time formatting. */
export interface DashboardKit {
  render(
    c: Context,
    title: string,
    body: string,
    status?: number,
    headers?: Record<string, string>,
  ): Promise<Response>;
  /** The signed-in session (the pages behind the sign-in always have one). */
  session(c: Context): Promise<Session>;
  /** A list asked for with a cursor the store refuses: a 400 page; other errors are rethrown. */
  badPageLink(c: Context, error: unknown, title: string, path: string): Promise<Response>;
}

/** A time as the dashboard shows it: UTC to the second, with the ISO value for machines. */
export function fmt(ms: number | string | null | undefined): string {
  if (ms === null || ms === undefined) return '';
  const iso = new Date(ms).toISOString();
  return `<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 19)}</time>`;
}

/** The hidden form field that carries the session's CSRF token on every dashboard POST. */
export const csrfField = (csrf: string): string =>
  `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

/** The banner that reports the outcome of the action that redirected here (empty without one). */
export const flashBanner = (message: string | undefined): string =>
  message ? `<p class="flash" id="flash">${escapeHtml(message)}</p>` : '';

/** After a dashboard action: back to `path` (303), which shows `message` in its banner. */
export const redirectWithFlash = (c: Context, path: string, message: string): Response =>
  c.redirect(`${path}?flash=${encodeURIComponent(message)}`, 303);

/** Why an action failed, as the dashboard may show it: our own errors' messages, nothing else. */
export const failureReason = (error: unknown): string =>
  error instanceof AuthNotifyError ? error.message : 'unexpected error';
