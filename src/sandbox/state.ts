/**
 * The sandbox's wallet-side state: consults, single-use authCodes, tokens, and a log of API requests
 * (tests read it to prove, say, that applyToken ran once). SQLite, in the same file as the sandbox's outbox.
 */
import type Database from 'better-sqlite3';
import { AuthNotifyError } from '../protocol/errors.js';
import { createPrivately } from '../store/sqlite/index.js';

export interface SandboxConsult {
  id: string;
  clientId: string;
  authState: string;
  authRedirectUrl: string;
  authNotifyUrl: string | null;
  scopes: string[];
  customerBelongsTo: string;
  terminalType: string;
  osType: string | null;
  authClientId: string | null;
  status: 'PENDING' | 'AGREED' | 'DECLINED';
  createdAt: number;
}

export interface SandboxToken {
  accessToken: string;
  refreshToken: string;
  consultId: string;
  userId: string;
  userLoginId: string;
  scopes: string[];
  status: 'ACTIVE' | 'REVOKED' | 'CANCELED' | 'REFRESHED';
  accessExpiresAt: number;
  refreshExpiresAt: number;
  createdAt: number;
  endedAt: number | null;
  reason: string | null;
}

export interface SandboxRequestLog {
  id: number;
  api: string;
  resultCode: string;
  resultStatus: string;
  detail: string | null;
  at: number;
}

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS sandbox_consults (
    id TEXT PRIMARY KEY, client_id TEXT NOT NULL, auth_state TEXT NOT NULL, auth_redirect_url TEXT NOT NULL,
    auth_notify_url TEXT, scopes TEXT NOT NULL, customer_belongs_to TEXT NOT NULL, terminal_type TEXT NOT NULL,
    os_type TEXT, auth_client_id TEXT, status TEXT NOT NULL, created_at INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS sandbox_codes (
    code TEXT PRIMARY KEY, consult_id TEXT NOT NULL, user_id TEXT NOT NULL, user_login_id TEXT NOT NULL,
    expires_at INTEGER NOT NULL, used_at INTEGER)`,
  `CREATE TABLE IF NOT EXISTS sandbox_tokens (
    access_token TEXT PRIMARY KEY, refresh_token TEXT NOT NULL UNIQUE, consult_id TEXT NOT NULL, user_id TEXT NOT NULL,
    user_login_id TEXT NOT NULL, scopes TEXT NOT NULL, status TEXT NOT NULL, access_expires_at INTEGER NOT NULL,
    refresh_expires_at INTEGER NOT NULL, created_at INTEGER NOT NULL, ended_at INTEGER, reason TEXT)`,
  'CREATE INDEX IF NOT EXISTS sandbox_tokens_user ON sandbox_tokens (user_login_id, created_at)',
  `CREATE TABLE IF NOT EXISTS sandbox_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT, api TEXT NOT NULL, result_code TEXT NOT NULL, result_status TEXT NOT NULL,
    detail TEXT, at INTEGER NOT NULL)`,
];

type Row = Record<string, unknown>;

function toConsult(r: Row): SandboxConsult {
  return {
    id: String(r.id),
    clientId: String(r.client_id),
    authState: String(r.auth_state),
    authRedirectUrl: String(r.auth_redirect_url),
    authNotifyUrl: (r.auth_notify_url as string | null) ?? null,
    scopes: JSON.parse(String(r.scopes)) as string[],
    customerBelongsTo: String(r.customer_belongs_to),
    terminalType: String(r.terminal_type),
    osType: (r.os_type as string | null) ?? null,
    authClientId: (r.auth_client_id as string | null) ?? null,
    status: r.status as SandboxConsult['status'],
    createdAt: Number(r.created_at),
  };
}

function toToken(r: Row): SandboxToken {
  return {
    accessToken: String(r.access_token),
    refreshToken: String(r.refresh_token),
    consultId: String(r.consult_id),
    userId: String(r.user_id),
    userLoginId: String(r.user_login_id),
    scopes: JSON.parse(String(r.scopes)) as string[],
    status: r.status as SandboxToken['status'],
    accessExpiresAt: Number(r.access_expires_at),
    refreshExpiresAt: Number(r.refresh_expires_at),
    createdAt: Number(r.created_at),
    endedAt: r.ended_at === null ? null : Number(r.ended_at),
    reason: (r.reason as string | null) ?? null,
  };
}

export class SandboxState {
  readonly #db: Database.Database;

  /** @internal Opens the state in `path` (with the driver `loadSqliteDriver` gave). */
  constructor(path: string, Driver: typeof Database) {
    try {
      createPrivately(path);
      this.#db = new Driver(path);
      this.#db.pragma('journal_mode = WAL');
      this.#db.pragma('busy_timeout = 5000');
      for (const sql of SCHEMA) this.#db.exec(sql);
    } catch (error) {
      throw new AuthNotifyError(
        'STORE_UNAVAILABLE',
        `cannot open the sandbox database ${path}: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  close(): void {
    this.#db.close();
  }

  addConsult(c: SandboxConsult): void {
    this.#db
      .prepare(`INSERT INTO sandbox_consults (id, client_id, auth_state, auth_redirect_url, auth_notify_url, scopes, customer_belongs_to,
        terminal_type, os_type, auth_client_id, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        c.id,
        c.clientId,
        c.authState,
        c.authRedirectUrl,
        c.authNotifyUrl,
        JSON.stringify(c.scopes),
        c.customerBelongsTo,
        c.terminalType,
        c.osType,
        c.authClientId,
        c.status,
        c.createdAt,
      );
  }

  consult(id: string): SandboxConsult | undefined {
    const r = this.#db.prepare('SELECT * FROM sandbox_consults WHERE id = ?').get(id) as Row | undefined;
    return r ? toConsult(r) : undefined;
  }

  /** Marks a PENDING consult decided; false if it was decided already (a double click). */
  decide(id: string, status: 'AGREED' | 'DECLINED'): boolean {
    return (
      this.#db
        .prepare("UPDATE sandbox_consults SET status = ? WHERE id = ? AND status = 'PENDING'")
        .run(status, id).changes === 1
    );
  }

  addCode(code: string, consultId: string, userId: string, userLoginId: string, expiresAt: number): void {
    this.#db
      .prepare(
        'INSERT INTO sandbox_codes (code, consult_id, user_id, user_login_id, expires_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(code, consultId, userId, userLoginId, expiresAt);
  }

  /** Uses an authCode once: returns its consult and user, or why it cannot be used. */
  useCode(
    code: string,
    now: number,
  ): { consultId: string; userId: string; userLoginId: string } | 'UNKNOWN' | 'USED' | 'EXPIRED' {
    return this.#db
      .transaction(() => {
        const r = this.#db.prepare('SELECT * FROM sandbox_codes WHERE code = ?').get(code) as Row | undefined;
        if (!r) return 'UNKNOWN' as const;
        if (r.used_at !== null) return 'USED' as const;
        if (Number(r.expires_at) < now) return 'EXPIRED' as const;
        this.#db.prepare('UPDATE sandbox_codes SET used_at = ? WHERE code = ?').run(now, code);
        return {
          consultId: String(r.consult_id),
          userId: String(r.user_id),
          userLoginId: String(r.user_login_id),
        };
      })
      .immediate();
  }

  addToken(t: SandboxToken): void {
    this.#db
      .prepare(`INSERT INTO sandbox_tokens (access_token, refresh_token, consult_id, user_id, user_login_id, scopes, status, access_expires_at,
        refresh_expires_at, created_at, ended_at, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(
        t.accessToken,
        t.refreshToken,
        t.consultId,
        t.userId,
        t.userLoginId,
        JSON.stringify(t.scopes),
        t.status,
        t.accessExpiresAt,
        t.refreshExpiresAt,
        t.createdAt,
        t.endedAt,
        t.reason,
      );
  }

  token(accessToken: string): SandboxToken | undefined {
    const r = this.#db.prepare('SELECT * FROM sandbox_tokens WHERE access_token = ?').get(accessToken) as
      | Row
      | undefined;
    return r ? toToken(r) : undefined;
  }

  activeTokenOfConsult(consultId: string): SandboxToken | undefined {
    const r = this.#db
      .prepare(
        "SELECT * FROM sandbox_tokens WHERE consult_id = ? AND status = 'ACTIVE' ORDER BY created_at DESC LIMIT 1",
      )
      .get(consultId) as Row | undefined;
    return r ? toToken(r) : undefined;
  }

  tokenByRefresh(refreshToken: string): SandboxToken | undefined {
    const r = this.#db.prepare('SELECT * FROM sandbox_tokens WHERE refresh_token = ?').get(refreshToken) as
      | Row
      | undefined;
    return r ? toToken(r) : undefined;
  }

  /** Ends an ACTIVE token; false if it was not active. */
  endToken(
    accessToken: string,
    status: 'REVOKED' | 'CANCELED' | 'REFRESHED',
    now: number,
    reason: string | null,
  ): boolean {
    return (
      this.#db
        .prepare(
          "UPDATE sandbox_tokens SET status = ?, ended_at = ?, reason = ? WHERE access_token = ? AND status = 'ACTIVE'",
        )
        .run(status, now, reason, accessToken).changes === 1
    );
  }

  tokensOf(userLoginId: string): SandboxToken[] {
    return (
      this.#db
        .prepare('SELECT * FROM sandbox_tokens WHERE user_login_id = ? ORDER BY created_at DESC')
        .all(userLoginId) as Row[]
    ).map(toToken);
  }

  logRequest(api: string, resultCode: string, resultStatus: string, detail: string | null, at: number): void {
    this.#db
      .prepare(
        'INSERT INTO sandbox_requests (api, result_code, result_status, detail, at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(api, resultCode, resultStatus, detail, at);
  }

  requests(limit = 200): SandboxRequestLog[] {
    return (
      this.#db.prepare('SELECT * FROM sandbox_requests ORDER BY id DESC LIMIT ?').all(limit) as Row[]
    ).map((r) => ({
      id: Number(r.id),
      api: String(r.api),
      resultCode: String(r.result_code),
      resultStatus: String(r.result_status),
      detail: (r.detail as string | null) ?? null,
      at: Number(r.at),
    }));
  }
}
