import type { RawEntry } from "../events/wire";
import { type ApplyContext, type Attempt, type BatchResult, emptyBatchResult, type Verdict } from "./batch";
import { stepEntry } from "./entry";
import type { AttemptKind } from "./handler";
import { oldestParkedMs } from "./parking";

/** A batch of one or more entries, and the last one's stream ID (the checkpoint it moves to). */
export type Batch = { entries: readonly RawEntry[]; last: string };

/** How an attempt ended: committed with its result, or rolled back to be replayed with savepoints. */
export type AttemptOutcome = { kind: "committed"; result: BatchResult } | { kind: "replay-with-savepoints" };

const REPLAY: AttemptOutcome = { kind: "replay-with-savepoints" };

/**
 * The batch in one transaction without savepoints: the session may defer its writes to its flush and the
 * EventIds are recorded in bulk before the commit. It commits with the very outcome the savepoint attempt
 * would give, or is rolled back (leaving nothing behind) at the first entry that is not applied, at an
 * EventId repeated in the batch or applied by an earlier one, or at a conflict the session's flush found.
 */
export function attemptAllOrNothing(context: ApplyContext, batch: Batch): AttemptOutcome {
  return runAttempt(context, "all-or-nothing", batch);
}

/**
 * The batch in one transaction with a savepoint per entry, so an entry that is dead-lettered or parked
 * leaves no partial effect behind. It always commits; a genuine failure (SQLite busy, a bug) throws, and
 * rolls back the whole batch, checkpoint included.
 */
export function attemptSavepointPerEntry(context: ApplyContext, batch: Batch): BatchResult {
  const outcome = runAttempt(context, "savepoint-per-entry", batch);
  if (outcome.kind === "committed") return outcome.result;
  throw new Error(`projection ${context.name}: its batch session reported a conflict with nothing deferred`);
}

function runAttempt(context: ApplyContext, kind: AttemptKind, batch: Batch): AttemptOutcome {
  return context.inTransaction({
    work: () => applyEntries(context, kind, batch),
    commits: (outcome) => outcome.kind === "committed",
    afterRollback: () => context.session?.discard(),
  });
}

function applyEntries(context: ApplyContext, kind: AttemptKind, { entries, last }: Batch): AttemptOutcome {
  const attempt: Attempt = {
    kind,
    result: emptyBatchResult(last),
    oldestParkedMs: null,
    eventIdsToRecord: kind === "all-or-nothing" && context.recordProcessedInBulk ? new Map() : null,
  };
  context.session?.begin(kind);
  attempt.oldestParkedMs = oldestParkedMs(context);
  for (const entry of entries) {
    if (stepEntry(context, attempt, entry) === "replay-with-savepoints") return REPLAY;
  }
  if (finishAttempt(context, attempt) === "replay-with-savepoints") return REPLAY;
  context.statements.saveCheckpoint.run({
    consumer: context.name,
    position: last,
    updatedAt: context.now().toISOString(),
    entriesRead: entries.length,
  });
  return { kind: "committed", result: attempt.result };
}

/** Before the checkpoint: the EventIds deferred to the end, then the session's deferred writes. */
function finishAttempt(context: ApplyContext, attempt: Attempt): Verdict {
  const toRecord = attempt.eventIdsToRecord;
  const recordInBulk = context.recordProcessedInBulk;
  // Not all recorded: one was there already, applied by an earlier batch and so again by this attempt.
  const recorded = !toRecord || !recordInBulk || toRecord.size === 0 || recordInBulk(toRecord);
  if (!recorded) return "replay-with-savepoints";
  if (context.session?.flush() === "conflict") return "replay-with-savepoints";
  return "next";
}
