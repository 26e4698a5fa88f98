/** Schema migrations on a SQLite connection: each pending version in its own transaction. */
import type Database from 'better-sqlite3';
import { MIGRATIONS, MIGRATIONS_TABLE } from '../schema.js';
import { SQL } from '../statements.js';

/** Applies the pending migrations; answers the versions applied now. */
export function migrateSqlite(db: Database.Database, now: number): number[] {
  db.exec(MIGRATIONS_TABLE);
  const done = new Set(
    (db.prepare('SELECT version FROM authnotify_schema_migrations').all() as { version: number }[]).map(
      (r) => r.version,
    ),
  );
  const applied: number[] = [];
  for (const migration of MIGRATIONS) {
    if (done.has(migration.version)) continue;
    db.transaction(() => {
      for (const sql of migration.statements('sqlite')) db.exec(sql);
      db.prepare(SQL.insertMigration).run(migration.version, migration.name, now);
    }).immediate();
    applied.push(migration.version);
  }
  return applied;
}

/** The highest applied migration (0 before any). */
export function sqliteSchemaVersion(db: Database.Database): number {
  const exists = db
    .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'authnotify_schema_migrations'")
    .get();
  if (!exists) return 0;
  return (db.prepare(SQL.maxMigration).get() as { v: number | null }).v ?? 0;
}
