import { and, eq, lt, sql } from "drizzle-orm";
import { bulkInserter } from "../sqlite/bulk-writes";
import type { Db } from "../sqlite/db";
import { checkpoints, parkedEntries, processedEvents } from "./tables";

/** The projection's prepared statements (see prepareProjectionStatements). */
export type ProjectionStatements = ReturnType<typeof prepareProjectionStatements>;

const consumer = sql.placeholder("consumer");
const streamId = sql.placeholder("streamId");

/**
 * The projection's statements, prepared once: building and preparing each query per entry cost more than
 * applying it. They run on the connection of `db`, so inside the batch's transaction and its savepoints.
 */
export function prepareProjectionStatements(db: Db) {
  return {
    checkpoint: db.select().from(checkpoints).where(eq(checkpoints.consumer, consumer)).prepare(),
    // Dedupe and record in one statement: no row changed means the event was applied before.
    markProcessed: db
      .insert(processedEvents)
      .values({ eventId: sql.placeholder("eventId"), streamId })
      .onConflictDoNothing()
      .prepare(),
    // Asked after every batch, for the consumer's status.
    parkedCount: db
      .select({ count: sql<number>`count(*)` })
      .from(parkedEntries)
      .where(eq(parkedEntries.consumer, consumer))
      .prepare(),
    oldestParked: db
      .select({ oldest: sql<number | null>`min(${parkedEntries.parkedAtMs})` })
      .from(parkedEntries)
      .where(eq(parkedEntries.consumer, consumer))
      .prepare(),
    // Asked after every applied event that resolves something while entries are parked.
    parkedAwaiting: db
      .select()
      .from(parkedEntries)
      .where(
        and(eq(parkedEntries.consumer, consumer), eq(parkedEntries.awaiting, sql.placeholder("awaiting"))),
      )
      .prepare(),
    parkedBefore: db
      .select()
      .from(parkedEntries)
      .where(
        and(eq(parkedEntries.consumer, consumer), lt(parkedEntries.parkedAtMs, sql.placeholder("before"))),
      )
      .prepare(),
    unpark: db
      .delete(parkedEntries)
      .where(and(eq(parkedEntries.consumer, consumer), eq(parkedEntries.streamId, streamId)))
      .prepare(),
    saveCheckpoint: db
      .insert(checkpoints)
      .values({
        consumer,
        position: sql.placeholder("position"),
        updatedAt: sql.placeholder("updatedAt"),
        entriesRead: sql.placeholder("entriesRead"),
      })
      .onConflictDoUpdate({
        target: checkpoints.consumer,
        set: {
          position: sql`excluded.position`,
          updatedAt: sql`excluded.updated_at`,
          entriesRead: sql`${checkpoints.entriesRead} + excluded.entries_read`,
        },
      })
      .prepare(),
  };
}

/**
 * Records EventIds (with the stream ID that carried each) in `processed_events` with multi-row inserts;
 * false when any was there already. Undefined when the connection is not exposed (see bulkInserter).
 */
export function bulkProcessedRecorder(db: Db): ((applied: Map<string, string>) => boolean) | undefined {
  const insert = bulkInserter(db, processedEvents, [processedEvents.eventId, processedEvents.streamId]);
  if (!insert) return undefined;
  return (applied) => insert(applied) === applied.size;
}
