import { compareStreamIds, streamTimeOf } from "../events/stream-contract";
import { type DecodedEntry, decodeEntry } from "../events/wire";
import type { ApplyContext } from "./batch";
import type { AppliedEntry } from "./handler";
import { parkedEntries } from "./tables";

/** An entry waiting for what its event needs, as stored. */
export type ParkedEntry = typeof parkedEntries.$inferSelect;

/** Parks an entry until an applied event resolves `awaiting`; its stream time starts its wait. */
export function park(context: ApplyContext, entry: AppliedEntry, awaiting: string, reason: string): void {
  context.db
    .insert(parkedEntries)
    .values({
      consumer: context.name,
      streamId: entry.streamId,
      awaiting,
      reason,
      fields: entry.fields,
      parkedAtMs: streamTimeOf(entry.streamId),
    })
    .onConflictDoNothing()
    .run();
}

/** The entries parked awaiting `key`, in stream order (as they would have been applied). */
export function parkedAwaiting(context: ApplyContext, key: string): ParkedEntry[] {
  return context.statements.parkedAwaiting
    .all({ consumer: context.name, awaiting: key })
    .sort((a, b) => compareStreamIds(a.streamId, b.streamId));
}

/** The entries that have waited more than the park timeout at stream time `streamTimeMs`. */
export function parkedTooLong(context: ApplyContext, streamTimeMs: number): ParkedEntry[] {
  return context.statements.parkedBefore.all({
    consumer: context.name,
    before: streamTimeMs - context.parkTimeoutMs,
  });
}

/** Whether an entry parked at `oldestParkedMs` has waited too long at stream time `streamTimeMs`. */
export function isPastParkTimeout(context: ApplyContext, oldestParkedMs: number, streamTimeMs: number) {
  return oldestParkedMs < streamTimeMs - context.parkTimeoutMs;
}

/** Removes a parked entry (released or given up on). */
export function unpark(context: ApplyContext, parked: ParkedEntry): void {
  context.statements.unpark.run({ consumer: context.name, streamId: parked.streamId });
}

/** The stream time of the entry parked longest; null when none is. */
export function oldestParkedMs(context: ApplyContext): number | null {
  return context.statements.oldestParked.get({ consumer: context.name })?.oldest ?? null;
}

/** A parked entry decoded again from its stored fields, as it was read from the stream. */
export function decodeParked(parked: ParkedEntry): DecodedEntry {
  return decodeEntry({ id: parked.streamId, fields: Object.entries(parked.fields).flat() });
}
