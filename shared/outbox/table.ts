import { sql } from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { domainEvent } from "../events/schemas";
import { type DeadLetterRecord, encodeDeadLetter } from "../events/stream-contract";
import { type EventEnvelope, encodeEnvelope } from "../events/wire";
import type { Db } from "../sqlite/db";

/** Events written in the same transaction as the rows they describe, waiting to be put on the stream. */
export const outbox = sqliteTable("outbox", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  eventId: text("event_id").notNull().unique(),
  eventType: text("event_type").notNull(),
  /** `main`: the event stream; `dlq`: its dead-letter stream, `<stream>:dlq`. */
  target: text("target", { enum: ["main", "dlq"] })
    .notNull()
    .default("main"),
  fields: text("fields", { mode: "json" }).$type<string[]>().notNull(),
  createdAt: text("created_at").notNull(),
});

/** One row to queue: an event for the stream, or a dead letter for the dead-letter stream. */
export type OutboxEntry = Omit<typeof outbox.$inferInsert, "seq">;

/** Appends an entry to the outbox; call it inside the transaction that makes the change it describes. */
export type OutboxAppend = (entry: OutboxEntry) => void;

/**
 * The one way into the outbox: an insert prepared once on `db`, which runs in whatever transaction the
 * connection has open (so the entry commits or rolls back with the change).
 */
export function createOutboxAppend(db: Db): OutboxAppend {
  const insert = db
    .insert(outbox)
    .values({
      eventId: sql.placeholder("eventId"),
      eventType: sql.placeholder("eventType"),
      target: sql.placeholder("target"),
      fields: sql.placeholder("fields"),
      createdAt: sql.placeholder("createdAt"),
    })
    .prepare();
  return (entry) => void insert.run({ target: "main", ...entry });
}

/**
 * An event as an outbox entry. The event is parsed through its schema first: an invalid one throws, and
 * so rolls back the change it was to describe.
 */
export function eventEntry(envelope: EventEnvelope): OutboxEntry {
  domainEvent.parse(envelope.event);
  return {
    eventId: envelope.eventId,
    eventType: envelope.event.type,
    target: "main",
    fields: encodeEnvelope(envelope),
    createdAt: envelope.occurredAt,
  };
}

/** A dead letter as an outbox entry, for the dead-letter stream. */
export function deadLetterEntry(letter: DeadLetterRecord): OutboxEntry {
  return {
    eventId: letter.deadLetterId,
    eventType: "DeadLetter",
    target: "dlq",
    fields: encodeDeadLetter(letter),
    createdAt: letter.deadLetteredAt,
  };
}

/** How many events wait to be published, and the creation time of the oldest. */
export function outboxBacklog(db: Db): { count: number; oldest: string | null } {
  const row = db
    .select({ count: sql<number>`count(*)`, oldest: sql<string | null>`min(${outbox.createdAt})` })
    .from(outbox)
    .get();
  return { count: row?.count ?? 0, oldest: row?.oldest ?? null };
}
