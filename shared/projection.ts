import { eq, sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { EVENT_TYPES, type EventType } from "./events";
import { type DecodedEntry, decodeEntry, type RawEntry, typeOfEntry } from "./wire";

/** The last stream ID a projection applied, written in the transaction that applied it. */
export const checkpoints = sqliteTable("checkpoints", {
  consumer: text("consumer").primaryKey(),
  position: text("position").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** Event ids already applied, so an event published twice (outbox retry) takes effect once. */
export const processedEvents = sqliteTable("processed_events", {
  eventId: text("event_id").primaryKey(),
  streamId: text("stream_id").notNull(),
});

/** Entries a projection could not apply, with the reason, kept for the operator instead of wedging the loop. */
export const deadLetters = sqliteTable("dead_letters", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  consumer: text("consumer").notNull(),
  streamId: text("stream_id").notNull(),
  reason: text("reason").notNull(),
  fields: text("fields", { mode: "json" }).$type<Record<string, string>>().notNull(),
  recordedAt: text("recorded_at").notNull(),
});

export type AppliedEntry = Extract<DecodedEntry, { ok: true }>;

/** Thrown by a handler for an event that can never be applied; the entry is dead-lettered and passed. */
export class RejectedEvent extends Error {}

export type BatchResult = { position: string; applied: number; duplicates: number; deadLettered: number };

export type Projection = {
  readonly name: string;
  position(): string;
  /** Applies entries (in stream order) and moves the checkpoint, all in one synchronous transaction. */
  applyBatch(entries: RawEntry[]): BatchResult;
};

export const START_OF_STREAM = "0-0";

/**
 * A read model fed from the stream. `handle` runs inside the batch transaction for each entry of the
 * listed types; entries of other known types only move the checkpoint. Undecodable entries, and events
 * the handler rejects, are dead-lettered; any other error rolls back the whole batch, checkpoint included.
 */
export function createProjection(deps: {
  db: Db;
  name: string;
  handles: readonly EventType[];
  handle: (tx: Db, entry: AppliedEntry) => void;
  now: () => Date;
}): Projection {
  const { db, name, handles, handle, now } = deps;

  function position(): string {
    const row = db.select().from(checkpoints).where(eq(checkpoints.consumer, name)).get();
    return row?.position ?? START_OF_STREAM;
  }

  function deadLetter(tx: Db, streamId: string, reason: string, fields: Record<string, string>): void {
    tx.insert(deadLetters)
      .values({ consumer: name, streamId, reason, fields, recordedAt: now().toISOString() })
      .run();
  }

  function alreadyApplied(tx: Db, eventId: string): boolean {
    return tx.select().from(processedEvents).where(eq(processedEvents.eventId, eventId)).get() !== undefined;
  }

  function applyBatch(entries: RawEntry[]): BatchResult {
    const result: BatchResult = { position: position(), applied: 0, duplicates: 0, deadLettered: 0 };
    if (entries.length === 0) return result;
    db.transaction(
      (tx) => {
        for (const entry of entries) {
          const type = typeOfEntry(entry);
          if (
            type !== undefined &&
            EVENT_TYPES.includes(type as EventType) &&
            !handles.includes(type as EventType)
          ) {
            continue;
          }
          const decoded = decodeEntry(entry);
          if (!decoded.ok) {
            deadLetter(tx, decoded.streamId, decoded.reason, decoded.fields);
            result.deadLettered += 1;
          } else if (decoded.eventId !== null && alreadyApplied(tx, decoded.eventId)) {
            result.duplicates += 1;
          } else if (applyOne(tx, decoded)) {
            result.applied += 1;
          } else {
            result.deadLettered += 1;
          }
        }
        const last = entries[entries.length - 1]?.id ?? result.position;
        tx.insert(checkpoints)
          .values({ consumer: name, position: last, updatedAt: now().toISOString() })
          .onConflictDoUpdate({
            target: checkpoints.consumer,
            set: { position: sql`excluded.position`, updatedAt: sql`excluded.updated_at` },
          })
          .run();
        result.position = last;
      },
      { behavior: "immediate" },
    );
    return result;
  }

  // Each event in a savepoint: a rejected event leaves no partial effect behind.
  function applyOne(tx: Db, entry: AppliedEntry): boolean {
    try {
      tx.transaction((savepoint) => {
        handle(savepoint, entry);
        if (entry.eventId !== null) {
          savepoint
            .insert(processedEvents)
            .values({ eventId: entry.eventId, streamId: entry.streamId })
            .run();
        }
      });
      return true;
    } catch (error) {
      if (!(error instanceof RejectedEvent)) throw error;
      deadLetter(tx, entry.streamId, error.message, entry.fields);
      return false;
    }
  }

  return { name, position, applyBatch };
}
