import { createBackoff, createWakeableSleep } from "./backoff";
import type { Logger } from "./log";
import type { Projection } from "./projection";
import type { StreamReader } from "./stream";

export type ConsumerStatus = {
  position: string;
  running: boolean;
  lastAppliedAt: string | null;
  lastError: string | null;
  deadLettered: number;
};

export type Consumer = { status(): ConsumerStatus; close(): Promise<void> };

/**
 * Feeds a projection from the stream, batch after batch, starting at its stored checkpoint. Any failure
 * (Redis down, SQLite busy, a hung read) leaves the checkpoint where it was and retries with backoff;
 * nothing escapes the loop.
 */
export function startConsumer(deps: {
  reader: StreamReader;
  projection: Projection;
  logger: Logger;
  now: () => Date;
}): Consumer {
  const { reader, projection, logger, now } = deps;
  const pause = createWakeableSleep();
  const backoff = createBackoff(100, 5000);
  let closed = false;
  const state: ConsumerStatus = {
    position: projection.position(),
    running: true,
    lastAppliedAt: null,
    lastError: null,
    deadLettered: 0,
  };

  const loop = (async () => {
    while (!closed) {
      try {
        const entries = await reader.read(state.position);
        if (closed) break;
        if (entries.length === 0) continue;
        const result = projection.applyBatch(entries);
        state.position = result.position;
        state.lastAppliedAt = now().toISOString();
        state.deadLettered += result.deadLettered;
        state.lastError = null;
        backoff.reset();
        if (result.deadLettered > 0) {
          logger.warn("entries dead-lettered", { consumer: projection.name, count: result.deadLettered });
        }
      } catch (error) {
        if (closed) break;
        state.lastError = String(error);
        const delay = backoff.next();
        logger.warn("consumer batch failed; will retry", {
          consumer: projection.name,
          position: state.position,
          error: state.lastError,
          retry_in_ms: delay,
        });
        await pause.sleep(delay);
      }
    }
    state.running = false;
  })();

  return {
    status: () => ({ ...state }),
    async close() {
      closed = true;
      reader.close();
      pause.wake();
      await loop;
    },
  };
}
