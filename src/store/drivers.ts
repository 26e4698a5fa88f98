/**
 * The database drivers are optional peer dependencies: a project installs the one it uses. They are
 * loaded when a store opens, and a missing one is a CONFIG_INVALID error that says what to install.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type pg from 'pg';
import { AuthNotifyError } from '../protocol/errors.js';

function missing(name: string, install: string, what: string, error: unknown): AuthNotifyError {
  return new AuthNotifyError('CONFIG_INVALID', `${name} is not installed: ${what} needs it`, {
    hint: `Install it in your project: npm install ${install}`,
    cause: error,
  });
}

const notFound = (error: unknown, name: string) => {
  const e = error as { code?: string; message?: string };
  return (
    (e.code === 'ERR_MODULE_NOT_FOUND' || e.code === 'MODULE_NOT_FOUND') &&
    (e.message ?? '').includes(`'${name}'`)
  );
};

/** @internal better-sqlite3's Database constructor (the SQLite store and the sandbox). */
export async function loadSqliteDriver(what = 'the SQLite store'): Promise<typeof BetterSqlite3> {
  try {
    return (await import('better-sqlite3')).default;
  } catch (error) {
    if (notFound(error, 'better-sqlite3')) throw missing('better-sqlite3', 'better-sqlite3@12', what, error);
    throw error;
  }
}

/** @internal The pg module (the PostgreSQL store). */
export async function loadPostgresDriver(): Promise<typeof pg> {
  try {
    return (await import('pg')).default;
  } catch (error) {
    if (notFound(error, 'pg')) throw missing('pg', 'pg@8', 'a postgres:// database', error);
    throw error;
  }
}
