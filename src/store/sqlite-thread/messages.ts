/**
 * What crosses between the threaded SQLite store and the thread that owns the connection: calls, their
 * answers, and errors as data (store errors keep their code).
 */
import { AuthNotifyError, type ErrorCode } from '../../protocol/errors.js';
import type { SqliteStoreOptions } from '../sqlite/index.js';
import type { Store } from '../types.js';

/** The Store methods that are asynchronous calls (all but `kind` and `outboxInsert`). */
export type StoreCall = {
  [K in keyof Store]: Store[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Store];

export interface WorkerSetup {
  options: Omit<SqliteStoreOptions, 'onBatch'>;
  reportBatches: boolean;
}

export interface WorkerRequest {
  id: number;
  method: StoreCall;
  args: readonly unknown[];
}

/** What the thread answers a call with; the answers of one turn travel as one array. */
export type CallReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorData };

/** The thread's other messages: whether it opened the database, and each group commit's size. */
export type WorkerReply = { ready: true } | { ready: false; error: ErrorData } | { batch: number };

/** An error as data. */
export interface ErrorData {
  name: string;
  message: string;
  code?: ErrorCode | undefined;
  hint?: string | undefined;
}

export function errorData(error: unknown): ErrorData {
  if (error instanceof AuthNotifyError)
    return { name: error.name, message: error.message, code: error.code, hint: error.hint };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

export function toError(data: ErrorData): Error {
  if (data.code !== undefined)
    return new AuthNotifyError(data.code, data.message, data.hint === undefined ? {} : { hint: data.hint });
  const error = new Error(data.message);
  error.name = data.name;
  return error;
}
