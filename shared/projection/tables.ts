import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { START_OF_STREAM } from "../events/stream-contract";
import type { Db } from "../sqlite/db";

/** The last stream ID a projection applied, written in the transaction that applied it. */
export const checkpoints = sqliteTable("checkpoints", {
  consumer: text("consumer").primaryKey(),
  position: text("position").notNull(),
  updatedAt: text("updated_at").notNull(),
  /** An operator accepted that the stream lost entries up to this ID (see shared/stream/gap.ts). */
  gapAcknowledgedThrough: text("gap_acknowledged_through"),
  /** Entries read so far (applied, skipped or dead-lettered): with XINFO's entries-added, the lag. */
  entriesRead: integer("entries_read").notNull().default(0),
});

/** Event ids already applied, so an event published twice (outbox retry) takes effect once. */
export const processedEvents = sqliteTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  streamId: text("stream_id").notNull(),
});

/** Entries a projection gave up on, with the reason; each is also published to the dead-letter stream. */
export const deadLetters = sqliteTable("dead_letters", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  consumer: text("consumer").notNull(),
  streamId: text("stream_id").notNull(),
  reason: text("reason").notNull(),
  fields: text("fields", { mode: "json" }).$type<Record<string, string>>().notNull(),
  recordedAt: text("recorded_at").notNull(),
});

/** Entries waiting for something that has not arrived yet (an invoice for a customer not seen yet). */
export const parkedEntries = sqliteTable(
  "parked_entries",
  {
    consumer: text("consumer").notNull(),
    streamId: text("stream_id").notNull(),
    awaiting: text("awaiting").notNull(),
    reason: text("reason").notNull(),
    fields: text("fields", { mode: "json" }).$type<Record<string, string>>().notNull(),
    parkedAtMs: integer("parked_at_ms").notNull(),
  },
  (table) => [primaryKey({ columns: [table.consumer, table.streamId] })],
);

/**
 * Records an operator's acceptance that entries up to `through` are gone from the stream; `entriesRead`
 * becomes the count as if they had been read (see shared/stream/gap.ts entriesReadAccepting).
 */
export function acknowledgeGap(
  db: Db,
  consumer: string,
  through: string,
  entriesRead: number,
  at: Date,
): void {
  db.insert(checkpoints)
    .values({
      consumer,
      position: START_OF_STREAM,
      updatedAt: at.toISOString(),
      gapAcknowledgedThrough: through,
      entriesRead,
    })
    .onConflictDoUpdate({
      target: checkpoints.consumer,
      set: { gapAcknowledgedThrough: through, entriesRead },
    })
    .run();
}
