/**
 * The thread that owns the SQLite connection for `createThreadedSqliteStore`: it opens the store, then
 * runs each call it is sent and answers with the result or the error as data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createSqliteStore, type SqliteStore } from '../sqlite/index.js';
import {
  type CallReply,
  errorData,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
} from './messages.js';

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
    const [target, name] = request.method.startsWith('events.')
      ? [store.events, request.method.slice('events.'.length)]
      : [store, request.method];
    const method = (target as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
    let result: Promise<unknown>;
    try {
      if (!method) throw new Error(`no store method ${request.method}`);
      result = method.apply(target, request.args as unknown[]);
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
