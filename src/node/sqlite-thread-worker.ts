/**
 * The thread that owns the SQLite connection for `createThreadedSqliteStore`: it opens the store, then
 * runs each call it is sent and answers with the result or the error as data.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { type LifecycleDecider, lifecycleDecider } from '../receiver/lifecycle.js';
import { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../store/sqlite/index.js';
import type { LifecycleDecision, LifecycleSnapshot } from '../store/types.js';
import { type DecisionChannel, type ErrorData, errorData, type StoreCall, toError } from './sqlite-thread.js';

export interface WorkerSetup {
  options: Omit<SqliteStoreOptions, 'onBatch'>;
  reportBatches: boolean;
  decisions: DecisionChannel;
}

/** A decision as data: the lifecycle's inputs, or a reference to a function on the calling thread. */
export type DecideSpec = { lifecycle: LifecycleDecider['lifecycle'] } | { ref: number };
export interface DecideRequest {
  ref: number;
  snapshot: LifecycleSnapshot;
}
export type DecideReply = { ok: true; decision: LifecycleDecision } | { ok: false; error: ErrorData };

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

/** How long a decision made on the calling thread may take before the transaction gives up. */
const DECISION_TIMEOUT_MS = 30_000;

type Decide = (snapshot: LifecycleSnapshot) => LifecycleDecision;

/**
 * A decision that only exists as a function on the calling thread: the snapshot is sent there and this
 * thread waits, inside the transaction, for the answer (lifecycle decisions never take this path).
 */
function remoteDecider({ port, signal }: DecisionChannel, ref: number): Decide {
  return (snapshot) => {
    Atomics.store(signal, 0, 0);
    port.postMessage({ ref, snapshot } satisfies DecideRequest);
    const deadline = Date.now() + DECISION_TIMEOUT_MS;
    for (;;) {
      const received = receiveMessageOnPort(port);
      if (received) {
        const reply = received.message as DecideReply;
        if (reply.ok) return reply.decision;
        throw toError(reply.error);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('the calling thread did not answer a decision in time');
      // The answer is posted before the signal is set, so once it is set the loop finds the answer.
      Atomics.wait(signal, 0, 0, left);
    }
  };
}

/** Turns the decisions' data back into functions. */
function revive(channel: DecisionChannel, method: StoreCall, args: readonly unknown[]): unknown[] {
  const decider = (spec: DecideSpec): Decide =>
    'lifecycle' in spec
      ? lifecycleDecider(spec.lifecycle.event, spec.lifecycle.ctx)
      : remoteDecider(channel, spec.ref);
  if (method === 'applyEvent') return [args[0], decider(args[1] as DecideSpec)];
  if (method === 'applyEvents') {
    const events = args[0] as { input: unknown; decide: DecideSpec }[];
    return [events.map((e) => ({ input: e.input, decide: decider(e.decide) }))];
  }
  return [...args];
}

async function main(port: NonNullable<typeof parentPort>): Promise<void> {
  const setup = workerData as WorkerSetup;
  const post = (reply: WorkerReply) => port.postMessage(reply);
  let store: SqliteStore;
  try {
    store = await createSqliteStore({
      ...setup.options,
      ...(setup.reportBatches ? { onBatch: (batch: number) => post({ batch }) } : {}),
    });
  } catch (error) {
    post({ ready: false, error: errorData(error) });
    return;
  }
  let replies: CallReply[] = [];
  const sendReplies = () => {
    if (replies.length === 0) return;
    port.postMessage(replies);
    replies = [];
  };
  const answer = (reply: CallReply) => {
    if (replies.length === 0) setImmediate(sendReplies);
    replies.push(reply);
  };
  const run = (request: WorkerRequest) => {
    const method = store[request.method] as (...args: unknown[]) => Promise<unknown>;
    let result: Promise<unknown>;
    try {
      result = method.apply(store, revive(setup.decisions, request.method, request.args));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      (value) => {
        answer({ id: request.id, ok: true, value });
        if (request.method === 'close') {
          // Closed: answer now and let the thread end on its own (nothing is left to wait for).
          sendReplies();
          port.close();
        }
      },
      (error: unknown) => answer({ id: request.id, ok: false, error: errorData(error) }),
    );
  };
  port.on('message', (calls: WorkerRequest[]) => {
    for (const call of calls) run(call);
  });
  post({ ready: true });
}

if (parentPort) void main(parentPort);
