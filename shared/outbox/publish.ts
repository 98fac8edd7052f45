import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import { deadLetterStreamOf } from "../events/stream-contract";
import type { Logger } from "../process/log";
import type { Db } from "../sqlite/db";
import { withoutFsync } from "../sqlite/durability";
import { type Redis, whenReady } from "../stream/redis";
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

/** What createOutboxPublisher needs: the outbox's database, the stream, and the batch size. */
export type OutboxPublisherDeps = {
  db: Db;
  redis: Redis;
  streamKey: string;
  /** The producer id for idempotent XADD on servers that have it (the service name). */
  producer: string;
  logger: Logger;
  batchSize: number;
  /** Told the EventIds of the events (not dead letters) each batch put on the stream. */
  onPublished?: (eventIds: string[]) => void;
  /** Ends a wait for Redis at once (the relay is closing). */
  signal: AbortSignal;
};

type OutboxRow = typeof outbox.$inferSelect;

/** Publishes outbox rows to the stream, in order, in MULTI/EXEC batches, deleting each row it published. */
export function createOutboxPublisher(deps: OutboxPublisherDeps): { publishAll(): Promise<number> } {
  const publisher: Publisher = {
    ...deps,
    queries: prepareOutboxQueries(deps.db, deps.batchSize),
    idempotentAs: idempotentXaddAs(deps.redis, deps.producer),
  };
  return {
    // Stops after a batch that was not full: what was committed before the call has been published
    // (rows committed since then come with a notify, which runs the relay again).
    async publishAll() {
      let total = 0;
      for (;;) {
        const { published, more } = await publishBatch(publisher);
        total += published;
        if (published === 0 || !more) return total;
      }
    },
  };
}

type Publisher = OutboxPublisherDeps & {
  queries: ReturnType<typeof prepareOutboxQueries>;
  idempotentAs: () => Promise<string | null>;
};

function prepareOutboxQueries(db: Db, batchSize: number) {
  return {
    pending: db
      .select()
      .from(outbox)
      .where(eq(outbox.target, sql.placeholder("target")))
      .orderBy(asc(outbox.seq))
      .limit(batchSize)
      .prepare(),
    // A batch is the `batchSize` lowest seqs of its target, and seqs only grow (AUTOINCREMENT): when every
    // row of it was published, "this target up to its last seq" names exactly those rows, in one prepared
    // statement instead of an IN list built and prepared per batch.
    deleteThrough: db
      .delete(outbox)
      .where(and(eq(outbox.target, sql.placeholder("target")), lte(outbox.seq, sql.placeholder("seq"))))
      .prepare(),
  };
}

/** The producer id to XADD with when the server has IDMP, else null; asked again after each reconnect. */
function idempotentXaddAs(redis: Redis, producer: string): () => Promise<string | null> {
  let serverVersion: Promise<string> | null = null;
  redis.on("ready", () => {
    serverVersion = null;
  });
  return async () => {
    // Without INFO (an ACL may forbid it) the relay publishes with plain XADD; consumers still dedupe.
    serverVersion ??= redisVersion(redis).catch(() => "0");
    return supportsIdempotentXadd(await serverVersion) ? producer : null;
  };
}

// Events and dead letters go out in separate transactions, so a dead-letter stream that refuses writes
// never holds up the events. Rows whose XADD succeeded are deleted even if another failed: an XADD to
// one key fails for all rows alike (wrong type, out of memory, ACL), so order on a stream is kept.
// Resolves with how many rows were published and whether a target had a full batch (more may wait).
async function publishBatch(publisher: Publisher): Promise<{ published: number; more: boolean }> {
  const { queries, redis, batchSize, logger } = publisher;
  const groups = (["main", "dlq"] as const)
    .map((target) => queries.pending.all({ target }))
    .filter((rows) => rows.length > 0);
  if (groups.length === 0) return { published: 0, more: false };
  const more = groups.some((rows) => rows.length >= batchSize);
  await whenReady(redis, 2000, publisher.signal);
  const idempotentAs = await publisher.idempotentAs();
  let published = 0;
  let failure: unknown = null;
  for (const rows of groups) {
    const outcome = await publishRows(publisher, rows, idempotentAs);
    published += outcome.published;
    failure ??= outcome.failure;
  }
  if (failure && published === 0) throw failure;
  if (failure) logger.warn("some outbox rows could not be published; will retry", { error: String(failure) });
  // After a failure the next round retries at once (and backs off if nothing goes through).
  return { published, more: more || failure !== null };
}

async function publishRows(publisher: Publisher, rows: OutboxRow[], idempotentAs: string | null) {
  const { db, redis, streamKey, queries, onPublished } = publisher;
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
    withoutFsync(db, () => queries.deleteThrough.run({ target: last.target, seq: last.seq }));
  } else if (done.length > 0) {
    withoutFsync(db, () => db.delete(outbox).where(inArray(outbox.seq, done)).run());
  }
  if (onPublished && published[0]?.target === "main") onPublished(published.map((row) => row.eventId));
  return { published: done.length, failure: results.find(([error]) => error !== null)?.[0] ?? null };
}

async function redisVersion(redis: Redis): Promise<string> {
  const info = await redis.info("server");
  return /redis_version:([0-9.]+)/.exec(info)?.[1] ?? "0";
}
