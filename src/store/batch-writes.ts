/**
 * A lifecycle batch's writes by kind of row. SQLite runs a statement per row or per chunk of rows (a
 * statement costs microseconds there, and its multi-row forms measured no faster). PostgreSQL writes each
 * kind in one statement whose rows come as arrays (`unnest`): one round trip however many rows, and a
 * text that does not change with their number, so it is prepared once per connection.
 */
import { AuthNotifyError } from '../protocol/errors.js';
import { run, type Steps } from './apply-event.js';
import { AUTHORIZATION_COLUMNS, FIELD_OF, isNumericColumn } from './rows.js';
import { arrayPlaceholders, byColumn, SQL } from './statements.js';

/**
 * Inserts rows (each in the order of `types`, the columns' PostgreSQL types) after `head`
 * (`INSERT INTO t (…)`), with `tail` after the rows (`ON CONFLICT …`).
 */
export function* insertRows(
  dialect: 'sqlite' | 'postgres',
  head: string,
  types: readonly string[],
  rows: readonly (readonly unknown[])[],
  tail = '',
): Steps<void> {
  if (rows.length === 0) return;
  if (dialect === 'postgres') {
    yield* run(
      `${head} SELECT * FROM unnest(${arrayPlaceholders(types)})${tail}`,
      ...byColumn(types.length, rows),
    );
    return;
  }
  // At most 500 rows a statement, so that none nears a driver's parameter limit.
  const one = `(${types.map(() => '?').join(', ')})`;
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    yield* run(`${head} VALUES ${chunk.map(() => one).join(', ')}${tail}`, ...chunk.flat());
  }
}

/** The PostgreSQL type of an authorizations column. */
const typeOf = (column: string): string =>
  column === 'version' ? 'integer' : isNumericColumn(column) ? 'bigint' : 'text';

/** The PostgreSQL types of AUTHORIZATION_COLUMNS, in order. */
export const AUTHORIZATION_TYPES = AUTHORIZATION_COLUMNS.map(typeOf);

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
    const changed = yield* run(
      `UPDATE authorizations SET ${columns.map((c) => `${c} = v.${c}`).join(', ')}, version = authorizations.version + v.steps
        FROM unnest(${arrayPlaceholders(['text', 'integer', 'integer', ...columns.map(typeOf)])})
          AS v(id, read_version, steps${columns.map((c) => `, ${c}`).join('')})
        WHERE authorizations.id = v.id AND authorizations.version = v.read_version`,
      ...byColumn(
        3 + columns.length,
        group.map((g) => [
          g.id,
          g.readVersion,
          g.steps,
          ...columns.map((c) => g.record[FIELD_OF[c] as string]),
        ]),
      ),
    );
    if (changed !== group.length)
      throw new AuthNotifyError('CONFLICT', 'an authorization of the batch changed concurrently');
  }
}
