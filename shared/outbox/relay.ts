import type { Logger } from "../process/log";
import type { Db } from "../sqlite/db";
import { createWakeableSleep, repeatWithBackoff } from "../stream/backoff";
import { type Redis, recoverIfSilent } from "../stream/redis";
import { createOutboxPublisher } from "./publish";

/** Publishes the outbox to the stream, in the background and on demand. */
export type OutboxRelay = {
  /** Publish soon: a transaction just added events. */
  notify(): void;
  /** Publishes everything pending now; resolves with how many were published. */
  flush(): Promise<number>;
  close(): Promise<void>;
};

/**
 * Moves outbox rows to the stream in order, in MULTI/EXEC batches, then deletes them. A crash between
 * EXEC and the delete publishes the batch again on restart with the same event ids; consumers drop the
 * repeats. While Redis is down the rows wait and the relay retries with backoff.
 */
export function createOutboxRelay(deps: {
  db: Db;
  redis: Redis;
  streamKey: string;
  /** The producer id for idempotent XADD on servers that have it (the service name). */
  producer: string;
  logger: Logger;
  batchSize?: number;
  pollMs?: number;
  /** Told the EventIds of the events (not dead letters) each batch put on the stream. */
  onPublished?: (eventIds: string[]) => void;
}): OutboxRelay {
  const { redis, logger, batchSize = 200, pollMs = 1000 } = deps;
  const timer = createWakeableSleep();
  const closing = new AbortController();
  const publisher = createOutboxPublisher({ ...deps, batchSize, signal: closing.signal });
  const flush = oneAtATime(publisher.publishAll);
  let notified = false;

  const loop = repeatWithBackoff({
    async round() {
      notified = false;
      await flush();
      if (!notified) await timer.sleep(pollMs);
      return true;
    },
    onFailure(error, retryInMs) {
      recoverIfSilent(redis, error);
      logger.warn("outbox publish failed; will retry", { error: String(error), retry_in_ms: retryInMs });
    },
    pause: timer,
    signal: closing.signal,
  });

  return {
    notify() {
      notified = true;
      timer.wake();
    },
    flush,
    async close() {
      closing.abort();
      timer.wake();
      await loop;
      // A last attempt, so a clean shutdown leaves nothing behind when Redis is up.
      await flush().catch(() => 0);
    },
  };
}

// One publisher at a time keeps stream order equal to outbox order; a flush queues behind the one
// under way, so it always sees the rows committed before it was called.
function oneAtATime(publishAll: () => Promise<number>): () => Promise<number> {
  let tail: Promise<unknown> = Promise.resolve();
  return () => {
    const run = tail.catch(() => 0).then(publishAll);
    tail = run;
    return run;
  };
}
