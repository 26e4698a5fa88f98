/** Reading and validating JSON request bodies for the admin API and the sandbox's control API. */
import type { Context } from 'hono';
import type { z } from 'zod';

/**
 * Formats Zod issues as one line, `path: message; …`, for a PARAM_ILLEGAL answer.
 * @example describeIssues(error) // "scopes.0: Invalid option; to: Invalid URL"
 */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
}

/**
 * Reads the request body as JSON and validates it; on failure says why in one line (not JSON, or which
 * fields are wrong) so the caller can answer 400 PARAM_ILLEGAL in its own format.
 * @example
 * const body = await readJsonBody(c, StartAuthorizationBody);
 * if (!body.ok) throw new AuthNotifyError('PARAM_ILLEGAL', body.message);
 */
export async function readJsonBody<S extends z.ZodType>(
  c: Context,
  schema: S,
): Promise<{ ok: true; data: z.output<S> } | { ok: false; message: string }> {
  let json: unknown;
  try {
    json = await c.req.json();
  } catch {
    return { ok: false, message: 'the body is not JSON' };
  }
  const parsed = schema.safeParse(json);
  return parsed.success
    ? { ok: true, data: parsed.data }
    : { ok: false, message: describeIssues(parsed.error) };
}
