import { execFileSync } from 'node:child_process';
import pg from 'pg';

export const PG_URL = process.env.AUTHNOTIFY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Why PostgreSQL tests cannot run here, or undefined when they can (checked synchronously at collection). */
export const pgSkipReason: string | undefined = (() => {
  try {
    execFileSync(
      process.execPath,
      [
        '-e',
        `const c=new (require('pg').Client)(${JSON.stringify(PG_URL)});c.connect().then(()=>c.end()).catch(()=>process.exit(1))`,
      ],
      {
        timeout: 5000,
        stdio: 'ignore',
      },
    );
    return undefined;
  } catch {
    return `PostgreSQL not reachable at ${PG_URL.replace(/\/\/[^@]*@/, '//')}`;
  }
})();
if (pgSkipReason) console.warn(`skipping PostgreSQL tests: ${pgSkipReason}`);

/** A fresh schema name for one test file's run. */
export function freshSchema(prefix = 'authnotify_test'): string {
  return `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
