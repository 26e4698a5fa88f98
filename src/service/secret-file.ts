/**
 * The service's two secrets — the secret key (token hashes, sealed bodies) and the admin token (admin API,
 * dashboard sign-in): how a configured value is read and checked, and, for the embedded default, the file
 * beside the SQLite database that one is generated into. Every check runs before anything is opened or
 * written (issue 11): an empty or short secret never starts a service, and a generated file is either
 * whole or absent (temp file, fsync, link into place), never half-written.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { AuthNotifyError } from '../protocol/errors.js';
import type { Logger } from '../protocol/logger.js';
import { bindSecretKey, parseSecret, SECRET_KEY_CHECK } from '../receiver/secrets.js';
import type { Store } from '../store/types.js';
import type { DatabaseSpec } from './database.js';

/** A secret of the service: what it is called, where it is set, how it is generated and checked. */
export interface ServiceSecret {
  name: string;
  env: string;
  flag: string;
  suffix: string;
  /** Random bytes in a generated value (written as hex). */
  bytes: number;
  /** Throws CONFIG_INVALID naming `from` unless `value` is usable; answers it trimmed. */
  check(value: string, from: string): string;
  /** How to make one by hand, for messages. */
  howToGenerate: string;
}

/** Shortest admin token accepted from any source: 32 characters (a generated one has 48). */
export const MIN_ADMIN_TOKEN_LENGTH = 32;

function invalid(message: string, hint: string): AuthNotifyError {
  return new AuthNotifyError('CONFIG_INVALID', message, { hint });
}

/** The key that tokens and raw bodies are sealed with, and token hashes keyed by (docs/security.md). */
export const SECRET_KEY: ServiceSecret = {
  name: 'the secret key',
  env: 'AUTHNOTIFY_SECRET_KEY',
  flag: '--secret-key',
  suffix: '.secret-key',
  bytes: 32,
  howToGenerate: 'openssl rand -base64 32',
  check(value, from) {
    try {
      parseSecret(value);
    } catch (error) {
      const reason = error instanceof AuthNotifyError ? error.message : String(error);
      throw invalid(
        `${from}: ${value.trim() === '' ? 'the secret key is empty (an unset shell variable?)' : reason}`,
        `Generate one with \`${this.howToGenerate}\` and keep it: data sealed with it cannot be read without it.`,
      );
    }
    return value.trim();
  },
};

/** The bearer token for the admin API and dashboard sign-in. */
export const ADMIN_TOKEN: ServiceSecret = {
  name: 'the admin token',
  env: 'AUTHNOTIFY_ADMIN_TOKEN',
  flag: '--admin-token',
  suffix: '.admin-token',
  bytes: 24,
  howToGenerate: 'openssl rand -hex 32',
  check(value, from) {
    const token = value.trim();
    const hint = `Generate one with \`${this.howToGenerate}\`, or leave it unset to have one generated beside the SQLite database.`;
    if (token === '') throw invalid(`${from}: the admin token is empty (an unset shell variable?)`, hint);
    if (/[\s\p{Cc}]/u.test(token))
      throw invalid(`${from}: the admin token contains whitespace or control characters`, hint);
    if (token.length < MIN_ADMIN_TOKEN_LENGTH)
      throw invalid(
        `${from}: the admin token is ${token.length} characters; at least ${MIN_ADMIN_TOKEN_LENGTH} are required`,
        hint,
      );
    return token;
  },
};

/**
 * Reads a secret file: refuses a missing, unreadable or empty one; warns (through `warn`) when group or
 * others may read it.
 * @example const token = readSecretFile('./authnotify.db.admin-token', '--admin-token-file', warn);
 */
export function readSecretFile(path: string, from: string, warn: (message: string) => void): string {
  let text: string;
  let mode: number;
  try {
    mode = statSync(path).mode;
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a directory'
            : `cannot be read (${code ?? (error as Error).message})`;
    throw invalid(`${from}: ${path} ${why}`, 'Give the path of a readable file that holds the secret.');
  }
  if (text.trim() === '')
    throw invalid(
      `${from}: ${path} is empty`,
      'A half-written file from an earlier start (a full disk?) or a wrong path: write the secret into it, or delete it to have one generated.',
    );
  if ((mode & 0o077) !== 0)
    warn(`${path} is readable by other users (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`);
  return text;
}

/**
 * Resolves a secret-valued setting: `env:NAME` reads the environment variable, `file:PATH` a file;
 * anything else is the value itself. Not checked here.
 * @example resolveSecretText('env:ADMIN_TOKEN', process.env, '--admin-token', warn)
 */
export function resolveSecretText(
  text: string,
  env: NodeJS.ProcessEnv,
  from: string,
  warn: (message: string) => void,
): string {
  if (text.startsWith('env:')) {
    const name = text.slice(4);
    const value = env[name];
    if (value === undefined || value.trim() === '')
      throw invalid(`${from}: environment variable ${name} is not set or empty`, `Export ${name} first.`);
    return value;
  }
  if (text.startsWith('file:')) return readSecretFile(text.slice(5), from, warn);
  return text;
}

/**
 * Writes `value` to `path` whole or not at all, mode 0600: a temp file in the same directory, fsync, then a
 * hard link into place (which, unlike rename, never replaces a file another process created meanwhile),
 * then fsync of the directory. Answers false when `path` already existed.
 */
export function writeSecretFileAtomically(path: string, value: string): boolean {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, `${value}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    return true;
  } catch (error) {
    throw new AuthNotifyError('STARTUP_FAILED', `could not write ${path}: ${(error as Error).message}`, {
      cause: error,
      hint: 'Free disk space or fix the directory permissions, then start again; nothing was written.',
    });
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // never created
    }
  }
}

/**
 * Where a generated secret lives for this database, or undefined when there is no such file
 * (in-memory SQLite, PostgreSQL).
 * @example secretFile(ADMIN_TOKEN, { kind: 'sqlite', path: 'a.db' }) // 'a.db.admin-token'
 */
export function secretFile(what: ServiceSecret, spec: DatabaseSpec): string | undefined {
  return spec.kind === 'sqlite' && spec.path !== ':memory:' ? `${spec.path}${what.suffix}` : undefined;
}

/** A secret as configured or found, checked; or the file to generate it into. */
export type SecretPlan = { kind: 'value'; value: string; from: string } | { kind: 'generate'; file: string };

/**
 * Decides where a secret comes from, reading and checking everything that exists, writing nothing:
 * the configured value; else the file beside the SQLite database; else that file, to be generated; a
 * fresh random value for in-memory SQLite; an error for PostgreSQL, which must be configured.
 * @example const plan = planSecret(ADMIN_TOKEN, settings.adminToken, spec, warn);
 */
export function planSecret(
  what: ServiceSecret,
  configured: { value: string; from: string } | undefined,
  spec: DatabaseSpec,
  warn: (message: string) => void,
): SecretPlan {
  if (configured)
    return { kind: 'value', value: what.check(configured.value, configured.from), from: configured.from };
  const file = secretFile(what, spec);
  if (file === undefined) {
    if (spec.kind === 'sqlite')
      return { kind: 'value', value: randomBytes(what.bytes).toString('hex'), from: 'generated (in memory)' };
    throw invalid(
      `${what.name} is required with PostgreSQL`,
      `Set ${what.env} (or ${what.flag}-file) to the same value on every process: ${what.howToGenerate}.`,
    );
  }
  let exists = true;
  try {
    statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    exists = false;
  }
  if (!exists) return { kind: 'generate', file };
  const from = `${what.name} file ${file}`;
  return { kind: 'value', value: what.check(readSecretFile(file, from, warn), from), from: file };
}

/**
 * Carries out a plan: generates and writes the file when asked to (and reads it back when another
 * process won the race). Logs where a generated secret went.
 */
export function materializeSecret(what: ServiceSecret, plan: SecretPlan, logger: Logger): string {
  if (plan.kind === 'value') return plan.value;
  const value = randomBytes(what.bytes).toString('hex');
  if (!writeSecretFileAtomically(plan.file, value)) {
    return what.check(
      readSecretFile(plan.file, plan.file, (m) => logger.warn({}, m)),
      plan.file,
    );
  }
  logger.warn(
    { file: plan.file },
    `${what.name} was not configured: generated one in ${plan.file} (keep it with the database; set ${what.env} in production)`,
  );
  return value;
}

/**
 * The secret key for this store: the configured or existing one, which the store must have been first
 * used with (`bindSecretKey`, in createReceiver); or a new one — only for a store that holds no data,
 * since a new key can neither open sealed bodies nor match stored token hashes.
 * @example const secretKey = await secretKeyFor(store, planSecret(SECRET_KEY, configured, spec, warn), logger);
 */
export async function secretKeyFor(store: Store, plan: SecretPlan, logger: Logger): Promise<string> {
  if (plan.kind === 'generate') {
    const bound = await store.getSetting(SECRET_KEY_CHECK);
    if (bound !== undefined || (await store.hasData()))
      throw new AuthNotifyError(
        'CONFIG_INVALID',
        `${plan.file} is missing, but the database already holds data`,
        {
          hint: `Restore ${plan.file} (or set AUTHNOTIFY_SECRET_KEY) to the key this database was used with; a new key could not read what is stored.`,
        },
      );
    return materializeSecret(SECRET_KEY, plan, logger);
  }
  await bindSecretKey(store, plan.value, Date.now(), plan.from);
  return plan.value;
}
