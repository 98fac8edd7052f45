import type { EventType } from "../events/schemas";
import { FIELD, type RawEntry } from "../events/wire";
import type { Db } from "../sqlite/db";
import type { Savepoint } from "../sqlite/savepoints";
import type { TransactionUnit } from "../sqlite/transactions";
import type { DeadLetter } from "./dead-letters";
import type { AppliedEntry, AttemptKind, BatchSession, EventHandler } from "./handler";
import type { ProjectionStatements } from "./statements";

/** What applying a batch did, for the consumer's status, metrics and logs. */
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

/** What every attempt of one projection works with: its handler, statements and connection. */
export type ApplyContext = {
  readonly db: Db;
  readonly name: string;
  readonly handles: readonly EventType[];
  readonly handle: EventHandler;
  readonly skip: ((entry: RawEntry) => boolean) | undefined;
  readonly session: BatchSession | undefined;
  readonly parkTimeoutMs: number;
  readonly now: () => Date;
  readonly statements: ProjectionStatements;
  /** One savepoint per entry in a savepoint-per-entry attempt (entries are applied one after another). */
  readonly entrySavepoint: Savepoint;
  readonly inTransaction: <T>(unit: TransactionUnit<T>) => T;
  /** Undefined when the connection does not allow multi-row inserts: EventIds are then recorded one by one. */
  readonly recordProcessedInBulk: ((applied: Map<string, string>) => boolean) | undefined;
  readonly writeDeadLetter: (letter: DeadLetter) => void;
};

/** The state of one attempt at a batch, inside its transaction. */
export type Attempt = {
  readonly kind: AttemptKind;
  readonly result: BatchResult;
  /** The earliest stream time among parked entries; null while none is parked (nothing to expire or release). */
  oldestParkedMs: number | null;
  /**
   * In an all-or-nothing attempt, the EventIds it applied with the stream ID of each, recorded together
   * before it commits; null when each EventId is recorded as its entry is applied.
   */
  readonly eventIdsToRecord: Map<string, string> | null;
};

/** How an attempt goes on after a step: with the next entry, or rolled back to be replayed with savepoints. */
export type Verdict = "next" | "replay-with-savepoints";

/** A result with nothing counted yet, at `position`. */
export function emptyBatchResult(position: string): BatchResult {
  return {
    position,
    applied: 0,
    appliedByType: {},
    appliedEventIds: [],
    deadLetters: [],
    duplicates: 0,
    deadLettered: 0,
    parked: 0,
  };
}

/** Counts an applied event, by type and EventId. */
export function countApplied(result: BatchResult, entry: AppliedEntry): void {
  result.applied += 1;
  result.appliedByType[entry.event.type] = (result.appliedByType[entry.event.type] ?? 0) + 1;
  if (entry.eventId !== null) result.appliedEventIds.push(entry.eventId);
}

/** Counts a dead letter, with what the logs tell of it. */
export function countDeadLetter(result: BatchResult, letter: DeadLetter): void {
  result.deadLettered += 1;
  result.deadLetters.push({
    streamId: letter.streamId,
    eventId: letter.fields[FIELD.eventId] ?? null,
    reason: letter.reason,
  });
}
