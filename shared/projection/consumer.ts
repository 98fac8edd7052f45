import { positionsKeyOf } from "../events/stream-contract";
import type { RawEntry } from "../events/wire";
import type { Logger } from "../process/log";
import { createBackoff, createWakeableSleep } from "../stream/backoff";
import { detectGap, type Gap, inspectStream } from "../stream/gap";
import type { StreamReader } from "../stream/reader";
import { type Redis, recoverIfSilent, whenReady } from "../stream/redis";
import type { BatchResult, Projection } from "./projection";

export type ConsumerStatus = {
  position: string;
  running: boolean;
  lastAppliedAt: string | null;
  /** When the loop last finished a read (one every BLOCK at most): a stale value means it is stuck. */
  lastLoopAt: string | null;
  lastError: string | null;
  gap: Gap | null;
  /** Entries on the stream not read yet, from XINFO's entries-added; null until known. */
  lag: number | null;
  streamLength: number | null;
  applied: number;
  duplicates: number;
  deadLettered: number;
  parked: number;
  parkedNow: number;
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
  onBatch?: (result: BatchResult, seconds: number) => void;
}): Consumer {
  const { reader, redis, streamKey, projection, logger, now, onBatch } = deps;
  const pause = createWakeableSleep();
  const backoff = createBackoff(100, 5000);
  let closed = false;
  const closing = new AbortController();
  let lastGapCheck = 0;
  const state: ConsumerStatus = {
    position: projection.position(),
    running: true,
    lastAppliedAt: null,
    lastLoopAt: null,
    lastError: null,
    gap: null,
    lag: null,
    streamLength: null,
    applied: 0,
    duplicates: 0,
    deadLettered: 0,
    parked: 0,
    parkedNow: projection.parkedCount(),
  };
  let entriesRead = projection.entriesRead();
  let entriesAdded: number | null = null;
  const updateLag = () => {
    state.lag = entriesAdded === null ? null : Math.max(0, entriesAdded - entriesRead);
  };

  async function checkGap(): Promise<Gap | null> {
    await whenReady(redis, 2000, closing.signal);
    const stream = await inspectStream(redis, streamKey);
    entriesAdded = stream?.entriesAdded ?? 0;
    state.streamLength = stream?.length ?? 0;
    updateLag();
    // While held by a gap, re-read the checkpoint: an acknowledgement or a rebuild changes it.
    if (state.gap) {
      state.position = projection.position();
      entriesRead = projection.entriesRead();
    }
    const gap = detectGap(
      { position: state.position, entriesRead, acknowledgedThrough: projection.gapAcknowledgedThrough() },
      stream,
    );
    if (gap && !state.gap) logger.error("stream gap: not applying until acknowledged or rebuilt", { ...gap });
    if (!gap && state.gap) logger.info("stream gap cleared", { consumer: projection.name });
    state.gap = gap;
    lastGapCheck = Date.now();
    return gap;
  }

  function record(result: BatchResult, entries: number, seconds: number): void {
    state.position = result.position;
    entriesRead += entries;
    updateLag();
    state.parkedNow = projection.parkedCount();
    state.lastAppliedAt = now().toISOString();
    state.applied += result.applied;
    state.duplicates += result.duplicates;
    state.deadLettered += result.deadLettered;
    state.parked += result.parked;
    state.lastError = null;
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
    redis.hset(positionsKeyOf(streamKey), projection.name, result.position).catch(() => {});
    onBatch?.(result, seconds);
  }

  // The read of the next batch, sent before the current one is applied so Redis answers while SQLite
  // works; used only if the checkpoint then stands where it was read from.
  let next: { after: string; read: Promise<{ entries: RawEntry[] } | { error: unknown }> } | null = null;
  const readAfter = (after: string) =>
    (next?.after === after ? next.read : settle(reader.read(after))).then((outcome) => {
      if ("error" in outcome) throw outcome.error;
      return outcome.entries;
    });

  const loop = (async () => {
    while (!closed) {
      try {
        if ((state.gap || Date.now() - lastGapCheck >= GAP_CHECK_INTERVAL_MS) && (await checkGap())) {
          next = null;
          state.lastLoopAt = now().toISOString();
          await pause.sleep(2000);
          continue;
        }
        const read = readAfter(state.position);
        next = null;
        const entries = await read;
        if (closed) break;
        // Checked after the read and before applying it: a trim or delete that happened before the read
        // shows here, so the batch is never applied over a hole.
        if (entries.length > 0 && (await checkGap())) continue;
        state.lastError = null;
        state.lastLoopAt = now().toISOString();
        const last = entries[entries.length - 1]?.id;
        if (last !== undefined) {
          next = { after: last, read: settle(reader.read(last)) };
          const started = performance.now();
          const result = projection.applyBatch(entries);
          record(result, entries.length, (performance.now() - started) / 1000);
        }
        backoff.reset();
      } catch (error) {
        next = null;
        if (closed) break;
        recoverIfSilent(redis, error);
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
      closing.abort();
      reader.close();
      pause.wake();
      await loop;
    },
  };
}

/** A read's outcome as a value, so a read nobody awaits yet never counts as an unhandled rejection. */
function settle(read: Promise<RawEntry[]>): Promise<{ entries: RawEntry[] } | { error: unknown }> {
  return read.then(
    (entries) => ({ entries }),
    (error: unknown) => ({ error }),
  );
}
