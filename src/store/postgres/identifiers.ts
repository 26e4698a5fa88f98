/** PostgreSQL identifiers that come from configuration. */
import { AuthNotifyError } from '../../protocol/errors.js';

/** The schema name as a quoted identifier; refuses anything but a plain name. */
export function quoteIdent(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(name)) {
    throw new AuthNotifyError('CONFIG_INVALID', `"${name}" is not a valid PostgreSQL schema name`);
  }
  return `"${name}"`;
}
