import { and, eq, lt, sql } from "drizzle-orm";
import { EVENT_TYPES, type EventType } from "../events/schemas";
import { compareStreamIds, START_OF_STREAM } from "../events/stream-contract";
import { type DecodedEntry, decodeEntry, FIELD, type RawEntry, typeOfEntry } from "../events/wire";
import { createOutboxAppend, deadLetterEntry } from "../outbox/table";
import { bulkInserter } from "../sqlite/bulk-writes";
import { changesOf, type Db } from "../sqlite/db";
import { withoutFsync } from "../sqlite/durability";
import { savepointsOf } from "../sqlite/savepoints";
import { checkpoints, deadLetters, parkedEntries, processedEvents } from "./tables";

export type AppliedEntry = Extract<DecodedEntry, { ok: true }>;

/** Thrown by a handler for an event that can never be applied; the entry is dead-lettered and passed. */
export class RejectedEvent extends Error {}

/** Thrown by a handler for an event that needs `awaiting` first; the entry waits until an event resolves it. */
export class DeferredEvent extends Error {
  constructor(
    readonly awaiting: string,
    reason: string,
  ) {
    super(reason);
  }
}

/** What an applied event made available, releasing the entries parked awaiting it. */
export type HandlerOutcome = { resolves: string } | undefined;

export type BatchResult = {
  position: string;
  applied: number;
  appliedByType: Record<string, number>;
  /** The EventIds applied (legacy entries have none), for the logs. */
  appliedEventIds: string[];
  deadLetters: { streamId: string; eventId: string | null; reason: string }[];
  duplicates: number;
  deadLettered: number;
  parked: number;
};

/**
 * Told of each attempt to apply a batch: `begin` as its transaction opens, with whether the attempt is
 * all or nothing (no savepoints: any entry that fails rolls the whole attempt back, so a handler may
 * defer its writes to `flush`); `flush` before the checkpoint is written, false when a deferred write
 * found a conflict the handler could not see (the attempt is then applied again with savepoints);
 * `discard` when it rolled back.
 */
export type BatchSession = { begin(allOrNothing: boolean): void; flush(): boolean; discard(): void };

export type Projection = {
  readonly name: string;
  position(): string;
  gapAcknowledgedThrough(): string | null;
  entriesRead(): number;
  parkedCount(): number;
  /** Applies entries (in stream order) and moves the checkpoint, all in one synchronous transaction. */
  applyBatch(entries: RawEntry[]): BatchResult;
};

/**
 * A read model fed from the stream. `handle` runs inside the batch transaction for each entry of the
 * listed types; entries of other known types only move the checkpoint. Undecodable entries, events the
 * handler rejects, and parked entries still waiting after `parkTimeoutMs` of stream time are
 * dead-lettered; any other error rolls back the whole batch, checkpoint included.
 */
export function createProjection(deps: {
  db: Db;
  name: string;
  handles: readonly EventType[];
  handle: (tx: Db, entry: AppliedEntry) => HandlerOutcome | undefined;
  /** Entries passed without being decoded: they only move the checkpoint (customers: its own events). */
  skip?: (entry: RawEntry) => boolean;
  /** State the handler keeps per batch (e.g. writes deferred to the end of it); see BatchSession. */
  session?: BatchSession;
  now: () => Date;
  newId: () => string;
  parkTimeoutMs?: number;
}): Projection {
  const { db, name, handles, handle, session, skip, now, newId, parkTimeoutMs = 5 * 60_000 } = deps;
  // Prepared once: building and preparing each query per entry cost more than applying it. They run on
  // the connection of `db`, so inside the batch transaction (and its savepoints) like `tx` itself.
  const statements = {
    checkpoint: db
      .select()
      .from(checkpoints)
      .where(eq(checkpoints.consumer, sql.placeholder("consumer")))
      .prepare(),
    // Dedupe and record in one statement: no row changed means the event was applied before.
    markProcessed: db
      .insert(processedEvents)
      .values({ eventId: sql.placeholder("eventId"), streamId: sql.placeholder("streamId") })
      .onConflictDoNothing()
      .prepare(),
    // Asked after every batch, for the consumer's status.
    parkedCount: db
      .select({ count: sql<number>`count(*)` })
      .from(parkedEntries)
      .where(eq(parkedEntries.consumer, sql.placeholder("consumer")))
      .prepare(),
    oldestParked: db
      .select({ oldest: sql<number | null>`min(${parkedEntries.parkedAtMs})` })
      .from(parkedEntries)
      .where(eq(parkedEntries.consumer, sql.placeholder("consumer")))
      .prepare(),
    // Asked after every applied event that resolves something: usually nothing is parked.
    parkedAwaiting: db
      .select()
      .from(parkedEntries)
      .where(
        and(
          eq(parkedEntries.consumer, sql.placeholder("consumer")),
          eq(parkedEntries.awaiting, sql.placeholder("awaiting")),
        ),
      )
      .prepare(),
    unpark: db
      .delete(parkedEntries)
      .where(
        and(
          eq(parkedEntries.consumer, sql.placeholder("consumer")),
          eq(parkedEntries.streamId, sql.placeholder("streamId")),
        ),
      )
      .prepare(),
    saveCheckpoint: db
      .insert(checkpoints)
      .values({
        consumer: sql.placeholder("consumer"),
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

  const checkpoint = () => statements.checkpoint.get({ consumer: name });
  // True while this consumer has no parked entry at all: nothing can be waiting for what an event resolves.
  let nothingParked = false;
  // A batch is first applied without savepoints; the first entry that would be dead-lettered or parked
  // rolls that attempt back, and the batch is applied again with a savepoint per entry (see applyBatch).
  let optimistic = false;
  const inSavepoint = savepointsOf(db, "projection_entry");
  const appendToOutbox = createOutboxAppend(db);
  const recordProcessedInBulk = bulkProcessedRecorder(db);
  // In an optimistic attempt, the EventIds it applied, recorded together before its commit (see applyOnce).
  const appliedInAttempt = new Map<string, string>();

  function deadLetter(
    tx: Db,
    result: BatchResult,
    streamId: string,
    reason: string,
    fields: Record<string, string>,
  ) {
    if (optimistic) throw new NeedsSavepoints();
    const recordedAt = now().toISOString();
    tx.insert(deadLetters).values({ consumer: name, streamId, reason, fields, recordedAt }).run();
    appendToOutbox(
      deadLetterEntry({
        deadLetterId: newId(),
        originalId: streamId,
        consumer: name,
        reason,
        deadLetteredAt: recordedAt,
        originalFields: fields,
      }),
    );
    result.deadLettered += 1;
    result.deadLetters.push({ streamId, eventId: fields[FIELD.eventId] ?? null, reason });
  }

  // Dedupe inside the entry's work: a rejected or deferred event leaves its EventId unrecorded. An
  // optimistic attempt records its EventIds in bulk before committing; if any was applied before (or is
  // repeated within the batch), the attempt rolls back and the batch is applied with a savepoint per entry.
  // A repeat within the batch is caught here, before its handler runs again: a handler never sees the same
  // event twice in one transaction.
  function applyOnce(tx: Db, entry: AppliedEntry): HandlerOutcome | typeof DUPLICATE {
    if (entry.eventId !== null && optimistic && recordProcessedInBulk) {
      if (appliedInAttempt.has(entry.eventId)) throw new NeedsSavepoints();
      appliedInAttempt.set(entry.eventId, entry.streamId);
    } else if (entry.eventId !== null) {
      const recorded = statements.markProcessed.run({ eventId: entry.eventId, streamId: entry.streamId });
      if (changesOf(recorded) === 0) return DUPLICATE;
    }
    return handle(tx, entry);
  }

  // Each event in a savepoint (unless optimistic): a rejected or deferred event leaves no partial effect behind.
  function applyDecoded(tx: Db, result: BatchResult, entry: AppliedEntry): void {
    let outcome: HandlerOutcome | typeof DUPLICATE;
    try {
      outcome = optimistic
        ? applyOnce(tx, entry)
        : inSavepoint(tx, (savepoint) => applyOnce(savepoint, entry));
    } catch (error) {
      if (optimistic && (error instanceof DeferredEvent || error instanceof RejectedEvent)) {
        throw new NeedsSavepoints();
      }
      if (error instanceof DeferredEvent) {
        tx.insert(parkedEntries)
          .values({
            consumer: name,
            streamId: entry.streamId,
            awaiting: error.awaiting,
            reason: error.message,
            fields: entry.fields,
            parkedAtMs: streamMs(entry.streamId),
          })
          .onConflictDoNothing()
          .run();
        result.parked += 1;
        return;
      }
      if (!(error instanceof RejectedEvent)) throw error;
      deadLetter(tx, result, entry.streamId, error.message, entry.fields);
      return;
    }
    if (outcome === DUPLICATE) {
      result.duplicates += 1;
      return;
    }
    result.applied += 1;
    result.appliedByType[entry.event.type] = (result.appliedByType[entry.event.type] ?? 0) + 1;
    if (entry.eventId !== null) result.appliedEventIds.push(entry.eventId);
    if (outcome && !nothingParked) release(tx, result, outcome.resolves);
  }

  function release(tx: Db, result: BatchResult, awaiting: string): void {
    const waiting = statements.parkedAwaiting
      .all({ consumer: name, awaiting })
      .sort((a, b) => compareStreamIds(a.streamId, b.streamId));
    for (const parked of waiting) {
      statements.unpark.run({ consumer: name, streamId: parked.streamId });
      const decoded = decodeEntry({ id: parked.streamId, fields: Object.entries(parked.fields).flat() });
      if (decoded.ok) applyDecoded(tx, result, decoded);
      else deadLetter(tx, result, parked.streamId, decoded.reason, parked.fields);
    }
  }

  function expireParked(tx: Db, result: BatchResult, streamTimeMs: number): void {
    const expired = tx
      .select()
      .from(parkedEntries)
      .where(
        and(eq(parkedEntries.consumer, name), lt(parkedEntries.parkedAtMs, streamTimeMs - parkTimeoutMs)),
      )
      .all();
    for (const parked of expired) {
      tx.delete(parkedEntries)
        .where(and(eq(parkedEntries.consumer, name), eq(parkedEntries.streamId, parked.streamId)))
        .run();
      const waited = `${parked.reason}; gave up after waiting ${parkTimeoutMs} ms of stream time`;
      deadLetter(tx, result, parked.streamId, waited, parked.fields);
    }
  }

  function oldestParkedMs(): number | null {
    return statements.oldestParked.get({ consumer: name })?.oldest ?? null;
  }

  function applyBatch(entries: RawEntry[]): BatchResult {
    if (entries.length === 0) return emptyResult();
    return withoutFsync(db, () => {
      // Savepoints cost two statements per entry, and almost every batch needs none: an attempt without
      // them either commits with the very outcome the savepoints would give, or rolls back at the first
      // entry that needs one (nothing is dead-lettered or parked in it, and nothing was parked before), or
      // before its commit when it finds an EventId applied by an earlier batch (see applyOnce).
      if (oldestParkedMs() === null) {
        optimistic = true;
        try {
          return applyInTransaction(entries);
        } catch (error) {
          if (!(error instanceof NeedsSavepoints)) throw error;
        } finally {
          optimistic = false;
        }
      }
      return applyInTransaction(entries);
    });
  }

  function emptyResult(): BatchResult {
    return {
      position: checkpoint()?.position ?? START_OF_STREAM,
      applied: 0,
      appliedByType: {},
      appliedEventIds: [],
      deadLetters: [],
      duplicates: 0,
      deadLettered: 0,
      parked: 0,
    };
  }

  function applyInTransaction(entries: RawEntry[]): BatchResult {
    const result = emptyResult();
    const last = entries[entries.length - 1]?.id;
    if (last === undefined) return result;
    try {
      applyEntries(entries, result, last);
    } catch (error) {
      session?.discard();
      throw error;
    }
    return result;
  }

  function applyEntries(entries: RawEntry[], result: BatchResult, last: string): void {
    db.transaction(
      (tx) => {
        appliedInAttempt.clear();
        session?.begin(optimistic);
        let oldestParked = oldestParkedMs();
        for (const entry of entries) {
          // Expiry goes entry by entry in stream time, so the outcome never depends on how reads were batched.
          if (oldestParked !== null && oldestParked < streamMs(entry.id) - parkTimeoutMs) {
            expireParked(tx, result, streamMs(entry.id));
            oldestParked = oldestParkedMs();
          }
          const type = typeOfEntry(entry);
          if (
            type !== undefined &&
            EVENT_TYPES.includes(type as EventType) &&
            !handles.includes(type as EventType)
          ) {
            continue;
          }
          if (skip?.(entry)) continue;
          const decoded = decodeEntry(entry);
          nothingParked = oldestParked === null;
          if (decoded.ok) applyDecoded(tx, result, decoded);
          else deadLetter(tx, result, decoded.streamId, decoded.reason, decoded.fields);
          if (oldestParked === null && result.parked > 0) oldestParked = oldestParkedMs();
        }
        nothingParked = false;
        if (appliedInAttempt.size > 0 && recordProcessedInBulk) {
          const recorded = recordProcessedInBulk(appliedInAttempt);
          appliedInAttempt.clear();
          if (recorded === false) throw new NeedsSavepoints();
        }
        if (session && !session.flush()) throw new NeedsSavepoints();
        statements.saveCheckpoint.run({
          consumer: name,
          position: last,
          updatedAt: now().toISOString(),
          entriesRead: entries.length,
        });
        result.position = last;
      },
      { behavior: "immediate" },
    );
  }

  return {
    name,
    position: () => checkpoint()?.position ?? START_OF_STREAM,
    gapAcknowledgedThrough: () => checkpoint()?.gapAcknowledgedThrough ?? null,
    entriesRead: () => checkpoint()?.entriesRead ?? 0,
    parkedCount: () => statements.parkedCount.get({ consumer: name })?.count ?? 0,
    applyBatch,
  };
}

/** Ends a batch's attempt without savepoints: an entry needs one (see applyBatch). */
class NeedsSavepoints extends Error {}

const DUPLICATE = Symbol("duplicate");

function streamMs(streamId: string): number {
  return Number(streamId.split("-")[0]);
}

/**
 * Records EventIds (with the stream ID that carried each) in `processed_events` with multi-row inserts;
 * false when any was there already. Undefined when the connection is not exposed (see bulkInserter).
 */
function bulkProcessedRecorder(db: Db): ((applied: Map<string, string>) => boolean) | undefined {
  const insert = bulkInserter(db, processedEvents, [processedEvents.eventId, processedEvents.streamId]);
  if (!insert) return undefined;
  return (applied) => insert(applied) === applied.size;
}
