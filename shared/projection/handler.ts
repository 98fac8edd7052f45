import type { DecodedEntry } from "../events/wire";
import type { Db } from "../sqlite/db";

/** A stream entry that decoded into a known event: what a handler is given. */
export type AppliedEntry = Extract<DecodedEntry, { ok: true }>;

/**
 * What a handler did with one event, as a value (handlers never throw to say it):
 * - `applied`: its effects are written; `resolves` names what it made available (e.g. `customer:7`), which
 *   releases the entries parked awaiting it;
 * - `rejected`: it can never be applied; the entry is dead-lettered with `reason` and passed;
 * - `deferred`: it needs `awaiting` first; the entry is parked until an event resolves that key, or
 *   dead-lettered with `reason` once it has waited too long.
 * A rejected or deferred event leaves nothing behind: the projection undoes whatever the handler wrote
 * for it. A genuine failure (SQLite busy, a bug) is thrown, and fails the whole batch.
 */
export type HandlerOutcome =
  | { readonly kind: "applied"; readonly resolves?: string }
  | { readonly kind: "rejected"; readonly reason: string }
  | { readonly kind: "deferred"; readonly awaiting: string; readonly reason: string };

const APPLIED: HandlerOutcome = { kind: "applied" };

/** The event was applied; `resolves` releases the entries parked awaiting that key. */
export const applied = (resolves?: string): HandlerOutcome =>
  resolves === undefined ? APPLIED : { kind: "applied", resolves };

/** The event can never be applied: it is dead-lettered with `reason`. */
export const rejected = (reason: string): HandlerOutcome => ({ kind: "rejected", reason });

/** The event needs `awaiting` first: it is parked until an applied event resolves that key. */
export const deferred = (awaiting: string, reason: string): HandlerOutcome => ({
  kind: "deferred",
  awaiting,
  reason,
});

/** Applies one event inside the batch's transaction, on `tx` (the projection's connection). */
export type EventHandler = (tx: Db, entry: AppliedEntry) => HandlerOutcome;

/**
 * How the projection is attempting a batch:
 * - `all-or-nothing` (no savepoints): the attempt commits as a whole or is rolled back as a whole; the
 *   first entry that is not applied ends it, and the batch is attempted again savepoint by savepoint;
 * - `savepoint-per-entry`: each entry's writes are undone on their own when it is not applied, so every
 *   write must reach the database while its entry is handled.
 */
export type AttemptKind = "all-or-nothing" | "savepoint-per-entry";

/** What `BatchSession.flush` found: all written, or a conflict the handler could not see when it applied. */
export type FlushOutcome = "written" | "conflict";

/**
 * State a handler keeps across one attempt at a batch, e.g. writes deferred to its end. The projection
 * promises, for each attempt, in this order and on its connection inside the batch's transaction:
 * - `begin(kind)` once, before the first entry is handled. In an `all-or-nothing` attempt the session may
 *   keep writes in memory (and serve reads from them) until `flush`; in a `savepoint-per-entry` attempt it
 *   must write at once, since an entry's savepoint may be rolled back;
 * - `flush()` once after the last entry and before the checkpoint is written: the session writes what it
 *   deferred. `conflict` (e.g. a deferred insert met a row the handler could not see) rolls the attempt
 *   back, and the batch is attempted again savepoint by savepoint, where the handler sees it itself. A
 *   `savepoint-per-entry` attempt has nothing deferred and must not report a conflict;
 * - `discard()` after the attempt was rolled back (asked for, or after a failure): anything the session
 *   learnt during it may not exist, so it must forget it. A committed attempt is not followed by `discard`.
 */
export type BatchSession = {
  begin(kind: AttemptKind): void;
  flush(): FlushOutcome;
  discard(): void;
};
