/**
 * Secrets for the embedded default: when no value is configured, a random one is created in a file beside
 * the SQLite database (mode 0600) and reused on every start. PostgreSQL deployments must configure them,
 * because several machines have to share the same value.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AuthNotifyError } from '../protocol/errors.js';
import type { Logger } from '../receiver/ports.js';
import type { DatabaseSpec } from './database.js';

export function secretFromFileBesideDatabase(
  what: { name: string; env: string; suffix: string; bytes: number },
  spec: DatabaseSpec,
  logger: Logger,
): string {
  if (spec.kind !== 'sqlite' || spec.path === ':memory:') {
    if (spec.kind === 'sqlite') return randomBytes(what.bytes).toString('hex');
    throw new AuthNotifyError('CONFIG_INVALID', `${what.name} is required with PostgreSQL`, {
      hint: `Set ${what.env} to the same value on every process (openssl rand -base64 ${what.bytes}).`,
    });
  }
  const file = `${spec.path}${what.suffix}`;
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = randomBytes(what.bytes).toString('hex');
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn(
    { file },
    `${what.name} was not configured: generated one in ${file} (keep it with the database; set ${what.env} in production)`,
  );
  return value;
}
