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

/** A secret that can be generated beside the database: what it is called, where it is set, how long. */
export interface GeneratedSecret {
  name: string;
  env: string;
  suffix: string;
  bytes: number;
}

/** The key that tokens and raw bodies are sealed with, and token hashes keyed by (docs/security.md). */
export const SECRET_KEY: GeneratedSecret = {
  name: 'the secret key',
  env: 'AUTHNOTIFY_SECRET_KEY',
  suffix: '.secret-key',
  bytes: 32,
};

/** The bearer token for the admin API and dashboard sign-in. */
export const ADMIN_TOKEN: GeneratedSecret = {
  name: 'the admin token',
  env: 'AUTHNOTIFY_ADMIN_TOKEN',
  suffix: '.admin-token',
  bytes: 24,
};

/**
 * Where a generated secret lives for this database, or undefined when there is no such file
 * (in-memory SQLite, PostgreSQL).
 * @example secretFile(ADMIN_TOKEN, { kind: 'sqlite', path: 'a.db' }) // 'a.db.admin-token'
 */
export function secretFile(what: GeneratedSecret, spec: DatabaseSpec): string | undefined {
  return spec.kind === 'sqlite' && spec.path !== ':memory:' ? `${spec.path}${what.suffix}` : undefined;
}

/**
 * Reads the secret from its file beside the SQLite database, creating it on first use; a fresh random
 * value for in-memory SQLite; an error for PostgreSQL, which must be configured.
 * @example const adminToken = settings.adminToken ?? secretFromFileBesideDatabase(ADMIN_TOKEN, spec, logger);
 */
export function secretFromFileBesideDatabase(
  what: GeneratedSecret,
  spec: DatabaseSpec,
  logger: Logger,
): string {
  const file = secretFile(what, spec);
  if (file === undefined) {
    if (spec.kind === 'sqlite') return randomBytes(what.bytes).toString('hex');
    throw new AuthNotifyError('CONFIG_INVALID', `${what.name} is required with PostgreSQL`, {
      hint: `Set ${what.env} to the same value on every process (openssl rand -base64 ${what.bytes}).`,
    });
  }
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const value = randomBytes(what.bytes).toString('hex');
  writeFileSync(file, `${value}\n`, { mode: 0o600, flag: 'wx' });
  logger.warn(
    { file },
    `${what.name} was not configured: generated one in ${file} (keep it with the database; set ${what.env} in production)`,
  );
  return value;
}
