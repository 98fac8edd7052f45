import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { deadLetterStreamOf } from "../events/stream-contract";
import type { Logger } from "../process/log";
import type { Db } from "../sqlite/db";
import { withoutFsync } from "../sqlite/durability";
import { createBackoff, createWakeableSleep } from "../stream/backoff";
import { type Redis, recoverIfSilent, whenReady } from "../stream/redis";
import { outbox } from "./table";

/** Whether a server version (INFO's redis_version) has idempotent XADD (IDMP, Redis 8.6). */
export function supportsIdempotentXadd(version: string): boolean {
  const [major = 0, minor = 0] = version.split(".").map(Number);
  return major > 8 || (major === 8 && minor >= 6);
}

/** XADD arguments for one outbox row; with IDMP the server itself drops a re-sent event id. */
export function xaddArguments(
  key: string,
  row: { eventId: string; fields: string[] },
  idempotentAs: string | null,
): (string | number)[] {
  const idempotency = idempotentAs ? ["IDMP", idempotentAs, row.eventId] : [];
  return [key, ...idempotency, "*", ...row.fields];
}

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
  const { db, redis, streamKey, producer, logger, batchSize = 200, pollMs = 1000, onPublished } = deps;
  let serverVersion: Promise<string> | null = null;
  redis.on("ready", () => {
    serverVersion = null;
  });
  const timer = createWakeableSleep();
  const backoff = createBackoff(100, 5000);
  let closed = false;
  let notified = false;
  const closing = new AbortController();
  const pending = db
    .select()
    .from(outbox)
    .where(eq(outbox.target, sql.placeholder("target")))
    .orderBy(asc(outbox.seq))
    .limit(batchSize)
    .prepare();
  // A batch is the `batchSize` lowest seqs of its target, and seqs only grow (AUTOINCREMENT): when every
  // row of it was published, "this target up to its last seq" names exactly those rows, in one prepared
  // statement instead of an IN list built and prepared per batch.
  const deleteThrough = db
    .delete(outbox)
    .where(and(eq(outbox.target, sql.placeholder("target")), lte(outbox.seq, sql.placeholder("seq"))))
    .prepare();

  // Events and dead letters go out in separate transactions, so a dead-letter stream that refuses writes
  // never holds up the events. Rows whose XADD succeeded are deleted even if another failed: an XADD to
  // one key fails for all rows alike (wrong type, out of memory, ACL), so order on a stream is kept.
  // Resolves with how many rows were published and whether a target had a full batch (more may wait).
  async function publishBatch(): Promise<{ published: number; more: boolean }> {
    const groups = (["main", "dlq"] as const)
      .map((target) => pending.all({ target }))
      .filter((rows) => rows.length > 0);
    if (groups.length === 0) return { published: 0, more: false };
    const more = groups.some((rows) => rows.length >= batchSize);
    await whenReady(redis, 2000, closing.signal);
    // Without INFO (an ACL may forbid it) the relay publishes with plain XADD; consumers still dedupe.
    serverVersion ??= redisVersion(redis).catch(() => "0");
    const idempotentAs = supportsIdempotentXadd(await serverVersion) ? producer : null;
    let published = 0;
    let failure: unknown = null;
    for (const rows of groups) {
      const outcome = await publishRows(rows, idempotentAs);
      published += outcome.published;
      failure ??= outcome.failure;
    }
    if (failure && published === 0) throw failure;
    if (failure)
      logger.warn("some outbox rows could not be published; will retry", { error: String(failure) });
    // After a failure the next round retries at once (and backs off if nothing goes through).
    return { published, more: more || failure !== null };
  }

  async function publishRows(rows: (typeof outbox.$inferSelect)[], idempotentAs: string | null) {
    const multi = redis.multi();
    for (const row of rows) {
      const key = row.target === "dlq" ? deadLetterStreamOf(streamKey) : streamKey;
      multi.call("XADD", ...xaddArguments(key, row, idempotentAs));
    }
    const results = await multi.exec();
    if (!results) return { published: 0, failure: new Error("stream transaction was aborted") };
    const published = rows.filter((_, index) => results[index]?.[0] === null);
    const done = published.map((row) => row.seq);
    const last = rows[rows.length - 1];
    if (last && done.length === rows.length) {
      withoutFsync(db, () => deleteThrough.run({ target: last.target, seq: last.seq }));
    } else if (done.length > 0) {
      withoutFsync(db, () => db.delete(outbox).where(inArray(outbox.seq, done)).run());
    }
    if (onPublished && published[0]?.target === "main") onPublished(published.map((row) => row.eventId));
    return { published: done.length, failure: results.find(([error]) => error !== null)?.[0] ?? null };
  }

  // Stops after a batch that was not full: what was committed before the call has been published (rows
  // committed since then come with a notify, which runs the loop again).
  async function publishAll(): Promise<number> {
    let total = 0;
    for (;;) {
      const { published, more } = await publishBatch();
      total += published;
      if (published === 0 || !more) return total;
    }
  }

  // One publisher at a time keeps stream order equal to outbox order; a flush queues behind the one
  // under way, so it always sees the rows committed before it was called.
  let tail: Promise<unknown> = Promise.resolve();
  function flush(): Promise<number> {
    const run = tail.catch(() => 0).then(publishAll);
    tail = run;
    return run;
  }

  const loop = (async () => {
    while (!closed) {
      try {
        notified = false;
        await flush();
        backoff.reset();
        if (!notified) await timer.sleep(pollMs);
      } catch (error) {
        if (closed) break;
        recoverIfSilent(redis, error);
        const delay = backoff.next();
        logger.warn("outbox publish failed; will retry", { error: String(error), retry_in_ms: delay });
        await timer.sleep(delay);
      }
    }
  })();

  return {
    notify() {
      notified = true;
      timer.wake();
    },
    flush,
    async close() {
      closed = true;
      closing.abort();
      timer.wake();
      await loop;
      // A last attempt, so a clean shutdown leaves nothing behind when Redis is up.
      await flush().catch(() => 0);
    },
  };
}

async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info("server");
  return /redis_version:([0-9.]+)/.exec(info)?.[1] ?? "0";
}
