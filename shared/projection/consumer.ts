import { positionsKeyOf } from "../events/stream-contract";
import type { RawEntry } from "../events/wire";
import type { Logger } from "../process/log";
import { createWakeableSleep, repeatWithBackoff, type WakeableSleep } from "../stream/backoff";
import { detectGap, type Gap, inspectStream } from "../stream/gap";
import { createReadAhead } from "../stream/read-ahead";
import type { StreamReader } from "../stream/reader";
import { type Redis, recoverIfSilent, whenReady } from "../stream/redis";
import { type ConsumerStatus, type ConsumerStatusTracker, trackConsumerStatus } from "./consumer-status";
import type { BatchResult, Projection } from "./projection";

export type { ConsumerStatus } from "./consumer-status";

/** A running consumer: its status, and `close` to stop it (interrupting a blocked read). */
export type Consumer = { status(): ConsumerStatus; close(): Promise<void> };

/** What startConsumer needs: a reader of the stream, a projection to feed, and where to report. */
export type ConsumerDeps = {
  reader: StreamReader;
  /** A non-blocking connection, for XINFO and for reporting the consumer's position. */
  redis: Redis;
  streamKey: string;
  projection: Projection;
  logger: Logger;
  now: () => Date;
  onBatch?: (result: BatchResult, seconds: number) => void;
};

const GAP_CHECK_INTERVAL_MS = 1000;
/** How long a consumer held by a gap waits before it looks again. */
const GAP_PAUSE_MS = 2000;

/**
 * Feeds a projection from the stream, batch after batch, starting at its stored checkpoint. Any failure
 * (Redis down, SQLite busy, a hung read) leaves the checkpoint where it was and retries with backoff;
 * nothing escapes the loop. When the stream has lost entries this consumer has not applied, it stops
 * and reports the gap until an operator acknowledges it (or rebuilds).
 */
export function startConsumer(deps: ConsumerDeps): Consumer {
  const pause = createWakeableSleep();
  const closing = new AbortController();
  const tracker = trackConsumerStatus(deps.projection);
  const loop: ConsumerLoop = {
    ...deps,
    pause,
    signal: closing.signal,
    tracker,
    gaps: watchForGaps(deps, tracker, closing.signal),
    reads: createReadAhead(deps.reader),
  };
  const running = repeatWithBackoff({
    round: () => consumeOnce(loop),
    onFailure: (error, retryInMs) => noteFailure(loop, error, retryInMs),
    pause,
    signal: closing.signal,
  }).then(() => {
    tracker.status.running = false;
  });

  return {
    status: tracker.snapshot,
    async close() {
      closing.abort();
      deps.reader.close();
      pause.wake();
      await running;
    },
  };
}

type ConsumerLoop = ConsumerDeps & {
  pause: WakeableSleep;
  signal: AbortSignal;
  tracker: ConsumerStatusTracker;
  gaps: ReturnType<typeof watchForGaps>;
  reads: ReturnType<typeof createReadAhead>;
};

/** One read and, when it brought entries, their batch applied; true when it read (the backoff resets). */
async function consumeOnce(loop: ConsumerLoop): Promise<boolean> {
  const { tracker, gaps, reads, now } = loop;
  if (gaps.due() && (await gaps.check())) {
    reads.drop();
    tracker.status.lastLoopAt = now().toISOString();
    await loop.pause.sleep(GAP_PAUSE_MS);
    return false;
  }
  const entries = await reads.read(tracker.status.position);
  if (loop.signal.aborted) return false;
  // Checked after the read and before applying it: a trim or delete that happened before the read
  // shows here, so the batch is never applied over a hole.
  if (entries.length > 0 && (await gaps.check())) return false;
  tracker.status.lastError = null;
  tracker.status.lastLoopAt = now().toISOString();
  const last = entries[entries.length - 1]?.id;
  if (last !== undefined) {
    reads.sendAhead(last);
    applyBatch(loop, entries);
  }
  return true;
}

function applyBatch(loop: ConsumerLoop, entries: RawEntry[]): void {
  const { projection, logger, tracker } = loop;
  const started = performance.now();
  const result = projection.applyBatch(entries);
  const seconds = (performance.now() - started) / 1000;
  tracker.recordBatch(result, entries.length, loop.now());
  for (const letter of result.deadLetters) {
    logger.warn("entry dead-lettered", {
      consumer: projection.name,
      stream_id: letter.streamId,
      event_id: letter.eventId,
      reason: letter.reason,
    });
  }
  logger.debug("batch applied", {
    consumer: projection.name,
    position: result.position,
    applied: result.applied,
    duplicates: result.duplicates,
    parked: result.parked,
    event_ids: result.appliedEventIds,
  });
  loop.redis.hset(positionsKeyOf(loop.streamKey), projection.name, result.position).catch(() => {});
  loop.onBatch?.(result, seconds);
}

function noteFailure(loop: ConsumerLoop, error: unknown, retryInMs: number): void {
  loop.reads.drop();
  recoverIfSilent(loop.redis, error);
  loop.tracker.status.lastError = String(error);
  loop.logger.warn("consumer batch failed; will retry", {
    consumer: loop.projection.name,
    position: loop.tracker.status.position,
    error: loop.tracker.status.lastError,
    retry_in_ms: retryInMs,
  });
}

/** Looks for a gap every second, and at every look while held by one. */
function watchForGaps(deps: ConsumerDeps, tracker: ConsumerStatusTracker, signal: AbortSignal) {
  const { redis, streamKey, projection, logger } = deps;
  let lastCheck = 0;
  return {
    due: () => tracker.status.gap !== null || Date.now() - lastCheck >= GAP_CHECK_INTERVAL_MS,
    async check(): Promise<Gap | null> {
      await whenReady(redis, 2000, signal);
      const stream = await inspectStream(redis, streamKey);
      const gap = detectGap(tracker.observeStream(stream), stream);
      if (gap && !tracker.status.gap) {
        logger.error("stream gap: not applying until acknowledged or rebuilt", { ...gap });
      }
      if (!gap && tracker.status.gap) logger.info("stream gap cleared", { consumer: projection.name });
      tracker.status.gap = gap;
      lastCheck = Date.now();
      return gap;
    },
  };
}
