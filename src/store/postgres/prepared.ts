/**
 * Statements PostgreSQL parses once per connection instead of once per call. Every statement of up to
 * MAX_PARAMS parameters gets a name the first time it runs; larger ones (multi-row lists whose text
 * changes with the batch size) stay unnamed, so that the statements each connection keeps stay few.
 * Names are unique per store, and a statement keeps its name for the life of the store's pool. The
 * pool's connections plan each call anew with its parameters (`plan_cache_mode=force_custom_plan`,
 * connect.ts): a generic plan made while a table was small would outlive the table's growth.
 *
 * A named statement's plan is bound to the table's columns when it is prepared; after a migration that
 * changes them PostgreSQL answers 0A000 "cached plan must not change result type". `renew` gives such a
 * statement a fresh name, and the caller runs it again.
 */
import type pg from 'pg';
import { numbered } from '../statements.js';

const MAX_PARAMS = 32;
/** Texts remembered (numbered once); past it a statement is numbered on each call, unnamed. */
const MAX_TEXTS = 1000;

interface Entry {
  text: string;
  name: string | undefined;
}

export class PreparedStatements {
  readonly #entries = new Map<string, Entry>();
  #next = 0;

  /** The query config for a `?`-placeholder statement and its parameters. */
  config(sql: string, values: unknown[]): pg.QueryConfig {
    let entry = this.#entries.get(sql);
    if (entry === undefined) {
      const remembered = this.#entries.size < MAX_TEXTS;
      entry = {
        text: numbered(sql),
        name: remembered && values.length <= MAX_PARAMS ? this.#name() : undefined,
      };
      if (remembered) this.#entries.set(sql, entry);
    }
    return entry.name === undefined
      ? { text: entry.text, values }
      : { name: entry.name, text: entry.text, values };
  }

  /**
   * After an error from a statement: true when it was a named statement whose cached plan no longer
   * fits its tables (it now has a fresh name: run it again).
   */
  renew(sql: string, error: unknown): boolean {
    const entry = this.#entries.get(sql);
    if (entry?.name === undefined || (error as { code?: string }).code !== '0A000') return false;
    entry.name = this.#name();
    return true;
  }

  #name(): string {
    return `authnotify_${(this.#next++).toString(36)}`;
  }
}
