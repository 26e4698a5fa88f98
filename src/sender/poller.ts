/**
 * The loop a queue worker runs: a pass, then the next one at once when the pass was full, after the poll
 * interval when it was not, and after a growing wait (up to 10 s) while passes fail (the store is down).
 */
import type { Logger } from '../protocol/logger.js';

export interface Poller {
  start(): void;
  /** Stops scheduling passes and waits for the one running. */
  stop(): Promise<void>;
  /** Work arrived: run a pass now unless one is running. */
  nudge(): void;
}

export function createPoller(options: {
  /** One pass; answers how many items it handled. */
  pass: () => Promise<number>;
  /** A pass that handled this many ran full: more is waiting. */
  batchSize: number;
  pollIntervalMs: number;
  logger: Logger;
  /** Names the worker in the failure log line ("sender", "forwarder"). */
  name: string;
}): Poller {
  const { pass, batchSize, pollIntervalMs, logger } = options;
  let running = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let active: Promise<number> | undefined;
  let failures = 0;
  const schedule = (delay: number) => {
    if (!running) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => void loop(), delay);
    timer.unref?.();
  };
  async function loop(): Promise<void> {
    if (active) return;
    let n = 0;
    try {
      active = pass();
      n = await active;
      failures = 0;
    } catch (error) {
      failures++;
      logger.error({ err: (error as Error).message, failures }, `${options.name} pass failed; retrying`);
    } finally {
      active = undefined;
    }
    if (failures > 0) schedule(Math.min(pollIntervalMs * 2 ** failures, 10_000));
    else schedule(n >= batchSize ? 0 : pollIntervalMs);
  }
  return {
    start() {
      if (running) return;
      running = true;
      schedule(0);
    },
    async stop() {
      running = false;
      if (timer) clearTimeout(timer);
      await active?.catch(() => undefined);
    },
    nudge() {
      if (running && !active) schedule(0);
    },
  };
}

/**
 * Runs `attempt` for every item with at most `concurrency` at once. A failed attempt is logged with
 * `what` and left to its lease (a later pass makes it again); the others go on.
 */
export async function attemptAll<T extends { id: string }>(
  items: readonly T[],
  concurrency: number,
  attempt: (item: T) => Promise<void>,
  logger: Logger,
  what: string,
): Promise<void> {
  let index = 0;
  const worker = async () => {
    while (index < items.length) {
      const item = items[index++] as T;
      try {
        await attempt(item);
      } catch (error) {
        logger.error(
          { deliveryId: item.id, err: (error as Error).message },
          `${what} could not be completed`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
