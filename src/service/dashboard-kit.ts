/** What the dashboard's page modules share: the page frame, the session, time formatting. */
import type { Context } from 'hono';
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
