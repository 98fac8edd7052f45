import { createBackoff, createWakeableSleep } from "./backoff";
import { detectGap, type Gap, inspectStream, positionsKeyOf } from "./gap";
import type { Logger } from "./log";
import type { BatchResult, Projection } from "./projection";
import type { Redis } from "./redis";
import type { StreamReader } from "./stream";

export type ConsumerStatus = {
  position: string;
  running: boolean;
  lastAppliedAt: string | null;
  lastError: string | null;
  gap: Gap | null;
  applied: number;
  duplicates: number;
  deadLettered: number;
  parked: number;
};

export type Consumer = { status(): ConsumerStatus; close(): Promise<void> };

const GAP_CHECK_INTERVAL_MS = 1000;

/**
 * Feeds a projection from the stream, batch after batch, starting at its stored checkpoint. Any failure
 * (Redis down, SQLite busy, a hung read) leaves the checkpoint where it was and retries with backoff;
 * nothing escapes the loop. When the stream has lost entries this consumer has not applied, it stops
 * and reports the gap until an operator acknowledges it (or rebuilds).
 */
export function startConsumer(deps: {
  reader: StreamReader;
  /** A non-blocking connection, for XINFO and for reporting the consumer's position. */
  redis: Redis;
  streamKey: string;
  projection: Projection;
  logger: Logger;
  now: () => Date;
  onBatch?: (result: BatchResult) => void;
}): Consumer {
  const { reader, redis, streamKey, projection, logger, now, onBatch } = deps;
  const pause = createWakeableSleep();
  const backoff = createBackoff(100, 5000);
  let closed = false;
  let lastGapCheck = 0;
  const state: ConsumerStatus = {
    position: projection.position(),
    running: true,
    lastAppliedAt: null,
    lastError: null,
    gap: null,
    applied: 0,
    duplicates: 0,
    deadLettered: 0,
    parked: 0,
  };

  async function checkGap(): Promise<Gap | null> {
    const gap = detectGap(
      state.position,
      await inspectStream(redis, streamKey),
      projection.gapAcknowledgedThrough(),
    );
    if (gap && !state.gap) logger.error("stream gap: not applying until acknowledged or rebuilt", { ...gap });
    if (!gap && state.gap) logger.info("stream gap cleared", { consumer: projection.name });
    state.gap = gap;
    lastGapCheck = Date.now();
    return gap;
  }

  function record(result: BatchResult): void {
    state.position = result.position;
    state.lastAppliedAt = now().toISOString();
    state.applied += result.applied;
    state.duplicates += result.duplicates;
    state.deadLettered += result.deadLettered;
    state.parked += result.parked;
    state.lastError = null;
    if (result.deadLettered > 0) {
      logger.warn("entries dead-lettered", { consumer: projection.name, count: result.deadLettered });
    }
    redis.hset(positionsKeyOf(streamKey), projection.name, result.position).catch(() => {});
    onBatch?.(result);
  }

  const loop = (async () => {
    while (!closed) {
      try {
        if ((state.gap || Date.now() - lastGapCheck >= GAP_CHECK_INTERVAL_MS) && (await checkGap())) {
          await pause.sleep(2000);
          continue;
        }
        const entries = await reader.read(state.position);
        if (closed) break;
        state.lastError = null;
        if (entries.length > 0) record(projection.applyBatch(entries));
        backoff.reset();
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
