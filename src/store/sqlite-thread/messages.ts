/**
 * What crosses between the threaded SQLite store and the thread that owns the connection: calls, their
 * answers, and errors as data (store errors keep their code).
 */
import { AuthNotifyError, type ErrorCode } from '../../protocol/errors.js';
import type { EventStore } from '../event-types.js';
import type { SqliteStoreOptions } from '../sqlite/index.js';
import type { Store } from '../types.js';

/** The Store methods that are asynchronous calls (all but `kind`, `events` and `outboxInsert`). */
export type StoreCall = {
  [K in keyof Store]: Store[K] extends (...args: never[]) => Promise<unknown> ? K : never;
}[keyof Store];

/** Every method of the event log, which the thread runs as `events.<method>`. */
export const EVENT_STORE_METHODS = [
  'feed',
  'head',
  'get',
  'prune',
  'createDestination',
  'getDestination',
  'listDestinations',
  'updateDestination',
  'deleteDestination',
  'fanOut',
  'claimDeliveries',
  'recordDeliveryAttempt',
  'getDelivery',
  'listDeliveries',
  'listDeliveryAttempts',
  'redeliver',
  'redeliverFailed',
  'countDeliveries',
  'oldestUndelivered',
] as const satisfies readonly (keyof EventStore)[];

// A method added to EventStore but not to the list above fails to compile here.
const everyEventMethod: Record<Exclude<keyof EventStore, (typeof EVENT_STORE_METHODS)[number]>, never> = {};
void everyEventMethod;

export type EventStoreCall = `events.${(typeof EVENT_STORE_METHODS)[number]}`;

export interface WorkerSetup {
  options: Omit<SqliteStoreOptions, 'onBatch'>;
  reportBatches: boolean;
}

export interface WorkerRequest {
  id: number;
  method: StoreCall | EventStoreCall;
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
