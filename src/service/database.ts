/** Opens the store a `--database` value names: a file path, `sqlite:FILE`, or `postgres://…`. */
import { AuthNotifyError } from '../protocol/errors.js';
import type { Store } from '../store/types.js';

export type DatabaseSpec =
  | { kind: 'sqlite'; path: string }
  | { kind: 'postgres'; url: string; schema?: string };

export function parseDatabase(value: string): DatabaseSpec {
  const v = value.trim();
  if (v === '')
    throw new AuthNotifyError('CONFIG_INVALID', 'the database is empty', {
      hint: 'Give a file path, sqlite:FILE or postgres://…',
    });
  if (/^postgres(ql)?:\/\//.test(v)) {
    const url = new URL(v);
    const schema = url.searchParams.get('schema') ?? undefined;
    url.searchParams.delete('schema');
    return schema ? { kind: 'postgres', url: url.href, schema } : { kind: 'postgres', url: url.href };
  }
  if (/^[a-z]+:\/\//i.test(v)) {
    throw new AuthNotifyError(
      'CONFIG_INVALID',
      `unsupported database URL scheme in "${v.split(':')[0]}://…"`,
      {
        hint: 'Use a SQLite file path (or sqlite:FILE) or postgres://user@host/db.',
      },
    );
  }
  return { kind: 'sqlite', path: v.startsWith('sqlite:') ? v.slice(7) : v };
}

/** A description safe to log (no password). */
export function describeDatabase(spec: DatabaseSpec): string {
  if (spec.kind === 'sqlite') return `sqlite:${spec.path}`;
  const url = new URL(spec.url);
  url.password = '';
  return `${url.href}${spec.schema ? ` (schema ${spec.schema})` : ''}`;
}

export async function openStore(
  spec: DatabaseSpec,
  options: { migrate?: boolean; onBatch?: (size: number) => void } = {},
): Promise<Store> {
  if (spec.kind === 'sqlite') {
    // The connection lives in a worker thread so that commits and fsyncs never stall request handling.
    const { createThreadedSqliteStore } = await import('../store/sqlite-thread/thread-store.js');
    return createThreadedSqliteStore({
      path: spec.path,
      migrate: options.migrate ?? true,
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    });
  }
  const { createPostgresStore } = await import('../store/postgres/index.js');
  return createPostgresStore({
    connectionString: spec.url,
    ...(spec.schema ? { schema: spec.schema } : {}),
    migrate: options.migrate ?? true,
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
  });
}
