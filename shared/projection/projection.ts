import type { EventType } from "../events/schemas";
import { START_OF_STREAM } from "../events/stream-contract";
import type { RawEntry } from "../events/wire";
import type { Db } from "../sqlite/db";
import { withoutFsync } from "../sqlite/durability";
import { savepointOf } from "../sqlite/savepoints";
import { immediateTransactionsOf } from "../sqlite/transactions";
import { attemptAllOrNothing, attemptSavepointPerEntry } from "./attempts";
import { type ApplyContext, type BatchResult, emptyBatchResult } from "./batch";
import { createDeadLetterWriter } from "./dead-letters";
import type { BatchSession, EventHandler } from "./handler";
import { oldestParkedMs } from "./parking";
import { bulkProcessedRecorder, prepareProjectionStatements } from "./statements";

export type { BatchResult } from "./batch";

/** A read model fed from the stream, batch by batch, with its checkpoint (see createProjection). */
export type Projection = {
  readonly name: string;
  position(): string;
  gapAcknowledgedThrough(): string | null;
  entriesRead(): number;
  parkedCount(): number;
  /** Applies entries (in stream order) and moves the checkpoint, all in one synchronous transaction. */
  applyBatch(entries: RawEntry[]): BatchResult;
};

/** What createProjection needs: the connection, the consumer's name, its handler and its clock. */
export type ProjectionOptions = {
  db: Db;
  name: string;
  handles: readonly EventType[];
  /** Runs inside the batch's transaction for each entry of the `handles` types (see handler.ts). */
  handle: EventHandler;
  /** Entries passed without being decoded: they only move the checkpoint (customers: its own events). */
  skip?: (entry: RawEntry) => boolean;
  /** State the handler keeps per attempt at a batch (e.g. writes deferred to its end). */
  session?: BatchSession;
  now: () => Date;
  newId: () => string;
  parkTimeoutMs?: number;
};

/**
 * A read model fed from the stream. `handle` runs inside the batch transaction for each entry of the
 * listed types; entries of other known types only move the checkpoint. Undecodable entries, events the
 * handler rejects, and parked entries still waiting after `parkTimeoutMs` of stream time are
 * dead-lettered; a failure the handler throws rolls back the whole batch, checkpoint included.
 */
export function createProjection(options: ProjectionOptions): Projection {
  const context = createApplyContext(options);
  const { db, name, statements } = context;
  const checkpoint = () => statements.checkpoint.get({ consumer: name });

  function applyBatch(entries: RawEntry[]): BatchResult {
    const last = entries[entries.length - 1]?.id;
    if (last === undefined) return emptyBatchResult(checkpoint()?.position ?? START_OF_STREAM);
    return withoutFsync(db, () => {
      // Savepoints cost two statements per entry, and almost every batch needs none: it is attempted all
      // or nothing first. While entries are parked, a batch may release or give up on them: it goes
      // savepoint by savepoint at once.
      if (oldestParkedMs(context) === null) {
        const optimistic = attemptAllOrNothing(context, { entries, last });
        if (optimistic.kind === "committed") return optimistic.result;
      }
      return attemptSavepointPerEntry(context, { entries, last });
    });
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

/** What every attempt of a projection works with, prepared once (exported for the attempts' own tests). */
export function createApplyContext(options: ProjectionOptions): ApplyContext {
  const { db, name, handles, handle, skip, session, now, newId, parkTimeoutMs = 5 * 60_000 } = options;
  return {
    db,
    name,
    handles,
    handle,
    skip,
    session,
    parkTimeoutMs,
    now,
    statements: prepareProjectionStatements(db),
    entrySavepoint: savepointOf(db, "projection_entry"),
    inTransaction: immediateTransactionsOf(db),
    recordProcessedInBulk: bulkProcessedRecorder(db),
    writeDeadLetter: createDeadLetterWriter({ db, consumer: name, now, newId }),
  };
}
