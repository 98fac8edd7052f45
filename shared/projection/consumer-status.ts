import type { ConsumerPoint, Gap, StreamState } from "../stream/gap";
import type { BatchResult, Projection } from "./projection";

/** What a consumer reports of itself (GET /health, metrics). */
export type ConsumerStatus = {
  position: string;
  running: boolean;
  lastAppliedAt: string | null;
  /** When the loop last finished a read (one every BLOCK at most): a stale value means it is stuck. */
  lastLoopAt: string | null;
  lastError: string | null;
  gap: Gap | null;
  /** Entries on the stream not read yet, from XINFO's entries-added; null until known. */
  lag: number | null;
  streamLength: number | null;
  applied: number;
  duplicates: number;
  deadLettered: number;
  parked: number;
  parkedNow: number;
};

/** A consumer's status as its loop learns it, and the count of entries read that its lag comes from. */
export function trackConsumerStatus(projection: Projection) {
  const status: ConsumerStatus = {
    position: projection.position(),
    running: true,
    lastAppliedAt: null,
    lastLoopAt: null,
    lastError: null,
    gap: null,
    lag: null,
    streamLength: null,
    applied: 0,
    duplicates: 0,
    deadLettered: 0,
    parked: 0,
    parkedNow: projection.parkedCount(),
  };
  let entriesRead = projection.entriesRead();
  let entriesAdded: number | null = null;
  const updateLag = () => {
    status.lag = entriesAdded === null ? null : Math.max(0, entriesAdded - entriesRead);
  };

  return {
    /** Changed by the loop as it goes; a copy for anyone else (see `snapshot`). */
    status,
    snapshot: (): ConsumerStatus => ({ ...status }),
    /**
     * What XINFO said of the stream; returns where the consumer stands, to look for a gap from. While held
     * by a gap the checkpoint is read again: an acknowledgement or a rebuild changes it.
     */
    observeStream(stream: StreamState): ConsumerPoint {
      entriesAdded = stream?.entriesAdded ?? 0;
      status.streamLength = stream?.length ?? 0;
      updateLag();
      if (status.gap) {
        status.position = projection.position();
        entriesRead = projection.entriesRead();
      }
      return {
        position: status.position,
        entriesRead,
        acknowledgedThrough: projection.gapAcknowledgedThrough(),
      };
    },
    /** A batch of `entries` entries was applied at `at`. */
    recordBatch(result: BatchResult, entries: number, at: Date): void {
      status.position = result.position;
      entriesRead += entries;
      updateLag();
      status.parkedNow = projection.parkedCount();
      status.lastAppliedAt = at.toISOString();
      status.applied += result.applied;
      status.duplicates += result.duplicates;
      status.deadLettered += result.deadLettered;
      status.parked += result.parked;
      status.lastError = null;
    },
  };
}

/** A consumer's status as its loop keeps it (see trackConsumerStatus). */
export type ConsumerStatusTracker = ReturnType<typeof trackConsumerStatus>;
