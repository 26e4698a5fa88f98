/**
 * Versioned migrations for both dialects. A migration is never edited once released; changes are new
 * versions. Times are epoch milliseconds (BIGINT), so both databases order and compare them the same way.
 */
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  version: number;
  name: string;
  statements: (dialect: Dialect) => string[];
}

const blob = (d: Dialect) => (d === 'sqlite' ? 'BLOB' : 'BYTEA');

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'inbox, authorizations, consults, tombstones, timeline',
    statements: (d) => [
      `CREATE TABLE inbox (
        id TEXT PRIMARY KEY,
        event_key TEXT NOT NULL UNIQUE,
        type TEXT,
        status TEXT NOT NULL CHECK (status IN ('PENDING','PROCESSING','PROCESSED','FAILED','QUARANTINED')),
        raw_body ${blob(d)} NOT NULL,
        headers TEXT NOT NULL,
        path TEXT NOT NULL,
        matched_path TEXT NOT NULL,
        key_version TEXT NOT NULL,
        violations TEXT,
        duplicates INTEGER NOT NULL DEFAULT 0,
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        next_attempt_at BIGINT,
        lease_owner TEXT,
        leased_until BIGINT,
        applied INTEGER NOT NULL DEFAULT 0,
        outcome TEXT,
        authorization_id TEXT,
        request_id TEXT NOT NULL,
        received_at BIGINT NOT NULL,
        last_duplicate_at BIGINT,
        processed_at BIGINT,
        updated_at BIGINT NOT NULL
      )`,
      // Partial indexes: a claim costs what the backlog costs, however large the inbox grows.
      "CREATE INDEX inbox_pending ON inbox (next_attempt_at) WHERE status = 'PENDING'",
      "CREATE INDEX inbox_leased ON inbox (leased_until) WHERE status = 'PROCESSING'",
      'CREATE INDEX inbox_received ON inbox (received_at DESC, id DESC)',
      `CREATE TABLE authorizations (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('PENDING','CODE_RECEIVED','ACTIVE','CANCELED','REVOKED','FAILED','EXPIRED')),
        auth_state TEXT UNIQUE,
        auth_code TEXT UNIQUE,
        code_redeemed_at BIGINT,
        token_hash TEXT UNIQUE,
        access_token_enc TEXT,
        refresh_token_enc TEXT,
        access_token_expires_at BIGINT,
        refresh_token_expires_at BIGINT,
        user_id TEXT,
        user_login_id_masked TEXT,
        auth_client_id TEXT,
        merchant_user_id TEXT,
        reason TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        version INTEGER NOT NULL DEFAULT 0
      )`,
      'CREATE INDEX authorizations_status ON authorizations (status, updated_at DESC, id DESC)',
      'CREATE INDEX authorizations_updated ON authorizations (updated_at DESC, id DESC)',
      `CREATE TABLE consults (
        auth_state TEXT PRIMARY KEY,
        authorization_id TEXT NOT NULL,
        merchant_reference TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT
      )`,
      `CREATE TABLE tombstones (
        token_hash TEXT PRIMARY KEY,
        reason TEXT,
        inbox_id TEXT,
        created_at BIGINT NOT NULL
      )`,
      `CREATE TABLE authorization_events (
        id TEXT PRIMARY KEY,
        authorization_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        inbox_id TEXT,
        detail TEXT,
        at BIGINT NOT NULL
      )`,
      'CREATE INDEX authorization_events_by_authorization ON authorization_events (authorization_id, at)',
    ],
  },
  {
    version: 2,
    name: 'outbox and delivery attempts (sender)',
    statements: (d) => [
      `CREATE TABLE outbox (
        id TEXT PRIMARY KEY,
        target_url TEXT NOT NULL,
        client_id TEXT NOT NULL,
        key_version TEXT,
        type TEXT,
        body ${blob(d)} NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('PENDING','DELIVERING','ACKNOWLEDGED','EXHAUSTED','CANCELED')),
        schedule TEXT NOT NULL,
        run INTEGER NOT NULL DEFAULT 1,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        lease_owner TEXT,
        leased_until BIGINT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        acknowledged_at BIGINT
      )`,
      "CREATE INDEX outbox_pending ON outbox (next_attempt_at) WHERE status = 'PENDING'",
      "CREATE INDEX outbox_leased ON outbox (leased_until) WHERE status = 'DELIVERING'",
      'CREATE INDEX outbox_created ON outbox (created_at DESC, id DESC)',
      `CREATE TABLE outbox_attempts (
        id TEXT PRIMARY KEY,
        outbox_id TEXT NOT NULL,
        run INTEGER NOT NULL,
        number INTEGER NOT NULL,
        due_at BIGINT NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT NOT NULL,
        request_time TEXT NOT NULL,
        http_status INTEGER,
        response_excerpt TEXT,
        error_class TEXT,
        verdict TEXT NOT NULL,
        worker TEXT NOT NULL
      )`,
      'CREATE INDEX outbox_attempts_by_outbox ON outbox_attempts (outbox_id, run, number)',
    ],
  },
  {
    version: 3,
    name: 'refresh scheduling index',
    statements: () => [
      "CREATE INDEX authorizations_expiring ON authorizations (access_token_expires_at) WHERE status = 'ACTIVE'",
    ],
  },
  {
    version: 4,
    name: 'settings (the secret key check, the readiness probe)',
    statements: () => [
      `CREATE TABLE authnotify_settings (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
    ],
  },
  {
    version: 5,
    name: 'events (written with their change), destinations, forwarded deliveries and their attempts',
    statements: (d) => [
      // The feed's order. SQLite has one writer at a time, so a sequence is commit order (AUTOINCREMENT:
      // never reused once pruned). PostgreSQL adds the writing transaction's id, see event-types.ts.
      d === 'sqlite'
        ? `CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        authorization_id TEXT,
        inbox_id TEXT,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`
        : `CREATE TABLE events (
        seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        authorization_id TEXT,
        inbox_id TEXT,
        payload TEXT NOT NULL,
        created_at BIGINT NOT NULL
      )`,
      ...(d === 'postgres' ? ['CREATE INDEX events_feed ON events (txid, seq)'] : []),
      'CREATE INDEX events_created ON events (created_at)',
      `CREATE TABLE destinations (
        id TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        description TEXT,
        types TEXT,
        secrets TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ACTIVE','PAUSED','DISABLED')),
        disabled_reason TEXT,
        failing_since BIGINT,
        source TEXT NOT NULL,
        position TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      `CREATE TABLE event_deliveries (
        id TEXT PRIMARY KEY,
        event_id TEXT NOT NULL,
        destination_id TEXT NOT NULL,
        event_type TEXT NOT NULL,
        event_created_at BIGINT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('PENDING','DELIVERING','DELIVERED','EXHAUSTED','CANCELED')),
        run INTEGER NOT NULL DEFAULT 1,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT,
        lease_owner TEXT,
        leased_until BIGINT,
        last_http_status INTEGER,
        last_verdict TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        delivered_at BIGINT,
        UNIQUE (event_id, destination_id)
      )`,
      "CREATE INDEX event_deliveries_pending ON event_deliveries (next_attempt_at) WHERE status = 'PENDING'",
      "CREATE INDEX event_deliveries_leased ON event_deliveries (leased_until) WHERE status = 'DELIVERING'",
      "CREATE INDEX event_deliveries_waiting ON event_deliveries (event_created_at) WHERE status IN ('PENDING','DELIVERING')",
      'CREATE INDEX event_deliveries_by_destination ON event_deliveries (destination_id, created_at DESC, id DESC)',
      'CREATE INDEX event_deliveries_created ON event_deliveries (created_at DESC, id DESC)',
      `CREATE TABLE event_delivery_attempts (
        id TEXT PRIMARY KEY,
        delivery_id TEXT NOT NULL,
        run INTEGER NOT NULL,
        number INTEGER NOT NULL,
        started_at BIGINT NOT NULL,
        finished_at BIGINT NOT NULL,
        http_status INTEGER,
        response_excerpt TEXT,
        error_class TEXT,
        verdict TEXT NOT NULL,
        worker TEXT NOT NULL
      )`,
      'CREATE INDEX event_delivery_attempts_by_delivery ON event_delivery_attempts (delivery_id, run, number)',
    ],
  },
  {
    version: 6,
    name: 'processing attempts that failed (the inbox keeps the last error; this keeps each)',
    statements: () => [
      `CREATE TABLE inbox_attempts (
        id TEXT PRIMARY KEY,
        inbox_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        worker TEXT NOT NULL,
        error TEXT NOT NULL,
        outcome TEXT NOT NULL,
        at BIGINT NOT NULL
      )`,
      'CREATE INDEX inbox_attempts_by_inbox ON inbox_attempts (inbox_id, at)',
    ],
  },
  {
    version: 7,
    name: 'lifecycle facts stored at receipt (handler-less rows are applied without opening the body)',
    statements: () => ['ALTER TABLE inbox ADD COLUMN facts TEXT'],
  },
  {
    version: 8,
    name: 'request headers in their own table (the inbox row a processor rewrites stays small)',
    // A row of over about 1,000 bytes spills to an overflow page in SQLite, and every update rewrites the
    // whole row: the headers (the Signature alone is some 350 bytes) were half of it. New rows keep ''
    // in inbox.headers; older rows keep theirs there, and reads take whichever is present.
    statements: () => ['CREATE TABLE inbox_headers (id TEXT PRIMARY KEY, raw_headers TEXT NOT NULL)'],
  },
  {
    version: 9,
    name: 'room on inbox pages for duplicate counts (PostgreSQL)',
    // A duplicate's count changes no indexed column, so PostgreSQL can rewrite the row on its own page
    // without touching an index (a HOT update) — when the page has room. Full pages made every counted
    // duplicate a new row version and an entry in each index (a duplicate storm was hardly faster than
    // new notifications). New pages keep a fifth free; SQLite rewrites rows in place and needs nothing.
    statements: (d) => (d === 'postgres' ? ['ALTER TABLE inbox SET (fillfactor = 80)'] : []),
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;

export const MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS authnotify_schema_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at BIGINT NOT NULL
)`;
