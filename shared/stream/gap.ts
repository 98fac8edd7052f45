import { compareStreamIds, START_OF_STREAM } from "../events/stream-contract";
import type { Redis } from "./redis";

/** What XINFO STREAM says about the stream, as far as gaps are concerned; null when the key is missing. */
export type StreamState = {
  length: number;
  /** The first entry still in the stream; START_OF_STREAM when it is empty. */
  firstEntryId: string;
  lastGeneratedId: string;
  /** The highest ID removed by XDEL (Redis 7+; XTRIM does not move it); START_OF_STREAM when none was. */
  maxDeletedId: string;
  entriesAdded: number;
} | null;

export type Gap = { reason: string; through: string };

export async function inspectStream(redis: Redis, streamKey: string): Promise<StreamState> {
  let reply: unknown[];
  try {
    reply = (await redis.call("XINFO", "STREAM", streamKey)) as unknown[];
  } catch (error) {
    if (/no such key/i.test(String(error))) return null;
    throw error;
  }
  const info = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) info.set(String(reply[i]), reply[i + 1]);
  const length = Number(info.get("length") ?? 0);
  const firstEntry = info.get("first-entry");
  return {
    length,
    firstEntryId: Array.isArray(firstEntry) && length > 0 ? String(firstEntry[0]) : START_OF_STREAM,
    lastGeneratedId: String(info.get("last-generated-id") ?? START_OF_STREAM),
    maxDeletedId: String(info.get("max-deleted-entry-id") ?? START_OF_STREAM),
    entriesAdded: Number(info.get("entries-added") ?? length),
  };
}

/** Where a consumer stands: its position, how many entries it has read, and what an operator accepted. */
export type ConsumerPoint = { position: string; entriesRead: number; acknowledgedThrough: string | null };

/**
 * Whether entries a consumer has not applied are gone from the stream: the stream vanished (flushed, or
 * Redis restarted without persistence), was recreated behind the position, lost entries after the
 * position to XDEL, or was trimmed past it. For trims it counts: of the entries added after the
 * position (entries-added minus those read), are they all still there? A gap an operator acknowledged
 * is not reported again.
 */
export function detectGap(point: ConsumerPoint, state: StreamState): Gap | null {
  const { position, entriesRead } = point;
  const acknowledged = point.acknowledgedThrough ?? START_OF_STREAM;
  const after = (a: string, b: string) => compareStreamIds(a, b) > 0;
  const unacknowledged = (through: string) => after(through, acknowledged);
  const started = position !== START_OF_STREAM;

  if (state === null) {
    return started && unacknowledged(position)
      ? {
          reason: `the stream is gone, but this consumer had applied it up to ${position}`,
          through: position,
        }
      : null;
  }
  // Fewer entries ever added than this consumer has read: the stream was lost and has started over.
  if (started && state.entriesAdded < entriesRead && unacknowledged(position)) {
    return {
      reason: `the stream was recreated: it has had ${state.entriesAdded} entries, this consumer had read ${entriesRead}`,
      through: position,
    };
  }
  if (started && after(position, state.lastGeneratedId) && unacknowledged(position)) {
    return {
      reason: `the stream ends at ${state.lastGeneratedId}, before this consumer's position ${position}: it was recreated`,
      through: position,
    };
  }
  if (after(state.maxDeletedId, position) && unacknowledged(state.maxDeletedId)) {
    return {
      reason: `entries after ${position} up to ${state.maxDeletedId} were deleted before this consumer applied them`,
      through: state.maxDeletedId,
    };
  }
  // Trimming removes the oldest entries: only when the first one left is past the position can entries
  // this consumer has not read be among those removed.
  const headPastPosition =
    state.length > 0 ? after(state.firstEntryId, position) : after(state.lastGeneratedId, position);
  const missing = state.entriesAdded - entriesRead - state.length;
  if (headPastPosition && missing > 0) {
    return {
      reason: `${missing} entries after ${position} were trimmed before this consumer applied them`,
      through: state.length > 0 ? state.firstEntryId : state.lastGeneratedId,
    };
  }
  return null;
}

/**
 * The entries-read count that accepts a gap: as if every entry before the first one still after the
 * position had been read, so lag and later trim checks count from what the stream holds now.
 */
export function entriesReadAccepting(point: ConsumerPoint, state: StreamState): number {
  if (state === null) return 0;
  const headPastPosition = state.length === 0 || compareStreamIds(state.firstEntryId, point.position) > 0;
  if (headPastPosition) return state.entriesAdded - state.length;
  return Math.min(point.entriesRead, state.entriesAdded);
}
