/**
 * Writing a batch's changed authorizations, each only if it still has the version the batch read (a
 * CONFLICT otherwise). SQLite updates row by row (a statement costs microseconds there); PostgreSQL
 * updates every row that changed the same columns in one statement, the values as arrays (`unnest`), so
 * that a batch of cancellations of known tokens costs one round trip instead of one per authorization.
 */
import { AuthNotifyError } from '../protocol/errors.js';
import { run, type Steps } from './apply-event.js';
import { FIELD_OF, isNumericColumn } from './rows.js';
import { SQL } from './statements.js';

export interface AuthorizationChange {
  id: string;
  /** The record after the batch, by field. */
  record: Record<string, unknown>;
  /** The columns the batch changed. */
  columns: string[];
  /** The version the batch read; the row is written only if it still has it. */
  readVersion: number;
  /** How many changes the batch made to it (the version grows by as many). */
  steps: number;
}

export function* updateAuthorizations(
  dialect: 'sqlite' | 'postgres',
  changes: readonly AuthorizationChange[],
): Steps<void> {
  if (dialect === 'sqlite' || changes.length === 1) {
    for (const { id, record, columns, readVersion, steps } of changes) {
      const values = columns.map((c) => record[FIELD_OF[c] as string]);
      const changed = yield* run(SQL.updateAuthorization(columns), ...values, steps, id, readVersion);
      if (changed !== 1) throw new AuthNotifyError('CONFLICT', `authorization ${id} changed concurrently`);
    }
    return;
  }
  const groups = new Map<string, AuthorizationChange[]>();
  for (const change of changes) {
    const columns = [...change.columns].sort();
    const key = columns.join(',');
    groups.set(key, [...(groups.get(key) ?? []), { ...change, columns }]);
  }
  for (const group of groups.values()) {
    const columns = (group[0] as AuthorizationChange).columns;
    const casts = columns.map((c) => `?::${isNumericColumn(c) ? 'bigint' : 'text'}[]`);
    const changed = yield* run(
      `UPDATE authorizations SET ${columns.map((c) => `${c} = v.${c}`).join(', ')}, version = authorizations.version + v.steps
        FROM unnest(?::text[], ?::integer[], ?::integer[]${casts.map((c) => `, ${c}`).join('')})
          AS v(id, read_version, steps${columns.map((c) => `, ${c}`).join('')})
        WHERE authorizations.id = v.id AND authorizations.version = v.read_version`,
      group.map((g) => g.id),
      group.map((g) => g.readVersion),
      group.map((g) => g.steps),
      ...columns.map((c) => group.map((g) => g.record[FIELD_OF[c] as string] ?? null)),
    );
    if (changed !== group.length)
      throw new AuthNotifyError('CONFLICT', 'an authorization of the batch changed concurrently');
  }
}
