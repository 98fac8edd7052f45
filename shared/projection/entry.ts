import { EVENT_TYPES, type EventType } from "../events/schemas";
import { REDRIVEN_FOR_FIELD, streamTimeOf } from "../events/stream-contract";
import { decodeEntry, fieldOfEntry, type RawEntry, typeOfEntry } from "../events/wire";
import { changesOf } from "../sqlite/db";
import { type ApplyContext, type Attempt, countApplied, countDeadLetter, type Verdict } from "./batch";
import type { DeadLetter } from "./dead-letters";
import type { AppliedEntry, HandlerOutcome } from "./handler";
import {
  decodeParked,
  isPastParkTimeout,
  oldestParkedMs,
  park,
  parkedAwaiting,
  parkedTooLong,
  unpark,
} from "./parking";

const NEXT: Verdict = "next";
const REPLAY: Verdict = "replay-with-savepoints";

/**
 * One stream entry's step in an attempt, the same in both attempts: give up on parked entries that waited
 * too long by this entry's stream time, pass entries the projection does not handle, decode, apply once per
 * EventId, and set aside (dead-letter or park) what cannot be applied; an applied event releases what was
 * parked awaiting it.
 */
export function stepEntry(context: ApplyContext, attempt: Attempt, entry: RawEntry): Verdict {
  // Expiry goes entry by entry in stream time, so the outcome never depends on how reads were batched.
  if (attempt.oldestParkedMs !== null && expireParked(context, attempt, entry.id) === REPLAY) return REPLAY;
  if (!isHandled(context, entry)) return NEXT;
  const decoded = decodeEntry(entry);
  // While nothing is parked, nothing can be waiting for what an event resolves: no need to look.
  const mayRelease = attempt.oldestParkedMs !== null;
  const verdict = decoded.ok
    ? applyDecoded(context, attempt, decoded, mayRelease)
    : setAside(context, attempt, { deadLetter: decoded });
  if (attempt.oldestParkedMs === null && attempt.result.parked > 0) {
    attempt.oldestParkedMs = oldestParkedMs(context);
  }
  return verdict;
}

/**
 * Entries of known types the projection does not handle, those `skip` picks, and those redriven for
 * another consumer only move the checkpoint.
 */
function isHandled(context: ApplyContext, entry: RawEntry): boolean {
  const type = typeOfEntry(entry) as EventType | undefined;
  if (type !== undefined && EVENT_TYPES.includes(type) && !context.handles.includes(type)) return false;
  const redrivenFor = fieldOfEntry(entry, REDRIVEN_FOR_FIELD);
  if (redrivenFor !== undefined && redrivenFor !== context.name) return false;
  return context.skip?.(entry) !== true;
}

/** What became of an entry's event: the handler's outcome, or why the handler did not run. */
type EntryOutcome = HandlerOutcome | typeof DUPLICATE | typeof REPEATED_IN_ATTEMPT;
/** Its EventId was applied before: the entry is passed. */
const DUPLICATE = { kind: "duplicate" } as const;
/** Its EventId came earlier in this all-or-nothing attempt, which records EventIds only at its end. */
const REPEATED_IN_ATTEMPT = { kind: "repeated-in-attempt" } as const;

/** Applies an event once (in a savepoint unless all or nothing) or sets it aside; what it resolves is released. */
function applyDecoded(
  context: ApplyContext,
  attempt: Attempt,
  entry: AppliedEntry,
  mayRelease: boolean,
): Verdict {
  const outcome =
    attempt.kind === "all-or-nothing"
      ? handleOnce(context, attempt, entry)
      : handleInSavepoint(context, attempt, entry);
  switch (outcome.kind) {
    case "duplicate":
      attempt.result.duplicates += 1;
      return NEXT;
    case "repeated-in-attempt":
      return REPLAY;
    case "applied":
      countApplied(attempt.result, entry);
      return outcome.resolves !== undefined && mayRelease
        ? release(context, attempt, outcome.resolves)
        : NEXT;
    case "rejected": {
      const { streamId, fields } = entry;
      return setAside(context, attempt, { deadLetter: { streamId, reason: outcome.reason, fields } });
    }
    case "deferred":
      return setAside(context, attempt, { park: entry, awaiting: outcome.awaiting, reason: outcome.reason });
  }
}

// A savepoint per entry: a rejected or deferred event leaves no partial effect behind.
function handleInSavepoint(context: ApplyContext, attempt: Attempt, entry: AppliedEntry): EntryOutcome {
  context.entrySavepoint.open();
  const outcome = handleOnce(context, attempt, entry);
  if (outcome.kind === "rejected" || outcome.kind === "deferred") context.entrySavepoint.rollBack();
  else context.entrySavepoint.release();
  return outcome;
}

/**
 * Dedupe inside the entry's work, so a rejected or deferred event leaves its EventId unrecorded. A repeat
 * within an all-or-nothing attempt is caught here, before its handler runs again: a handler never sees the
 * same event twice in one transaction.
 */
function handleOnce(context: ApplyContext, attempt: Attempt, entry: AppliedEntry): EntryOutcome {
  if (entry.eventId !== null) {
    const toRecord = attempt.eventIdsToRecord;
    if (toRecord) {
      if (toRecord.has(entry.eventId)) return REPEATED_IN_ATTEMPT;
      toRecord.set(entry.eventId, entry.streamId);
    } else {
      const recorded = context.statements.markProcessed.run({
        eventId: entry.eventId,
        streamId: entry.streamId,
      });
      if (changesOf(recorded) === 0) return DUPLICATE;
    }
  }
  return context.handle(context.db, entry);
}

/** Applies, in stream order, the entries parked awaiting what an applied event resolved. */
function release(context: ApplyContext, attempt: Attempt, key: string): Verdict {
  for (const parked of parkedAwaiting(context, key)) {
    unpark(context, parked);
    const decoded = decodeParked(parked);
    const verdict = decoded.ok
      ? applyDecoded(context, attempt, decoded, true)
      : setAside(context, attempt, {
          deadLetter: { streamId: parked.streamId, reason: decoded.reason, fields: parked.fields },
        });
    if (verdict === REPLAY) return REPLAY;
  }
  return NEXT;
}

/** Dead-letters the parked entries that waited more than the park timeout by the stream time of `streamId`. */
function expireParked(context: ApplyContext, attempt: Attempt, streamId: string): Verdict {
  const streamTimeMs = streamTimeOf(streamId);
  const oldest = attempt.oldestParkedMs;
  if (oldest === null || !isPastParkTimeout(context, oldest, streamTimeMs)) return NEXT;
  for (const parked of parkedTooLong(context, streamTimeMs)) {
    unpark(context, parked);
    const reason = `${parked.reason}; gave up after waiting ${context.parkTimeoutMs} ms of stream time`;
    const deadLetter = { streamId: parked.streamId, reason, fields: parked.fields };
    if (setAside(context, attempt, { deadLetter }) === REPLAY) return REPLAY;
  }
  attempt.oldestParkedMs = oldestParkedMs(context);
  return NEXT;
}

type SetAside = { deadLetter: DeadLetter } | { park: AppliedEntry; awaiting: string; reason: string };

/**
 * An entry that is not applied is dead-lettered or parked. An all-or-nothing attempt cannot undo one
 * entry's writes on their own: the first entry it would set aside ends it, to be replayed with savepoints
 * (nothing was dead-lettered or parked in it, so the replay gives each entry the same outcome).
 */
function setAside(context: ApplyContext, attempt: Attempt, what: SetAside): Verdict {
  if (attempt.kind === "all-or-nothing") return REPLAY;
  if ("deadLetter" in what) {
    context.writeDeadLetter(what.deadLetter);
    countDeadLetter(attempt.result, what.deadLetter);
  } else {
    park(context, what.park, what.awaiting, what.reason);
    attempt.result.parked += 1;
  }
  return NEXT;
}
