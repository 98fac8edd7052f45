import { compareStreamIds, START_OF_STREAM } from "../../shared/events/stream-contract";
import type { RawEntry } from "../../shared/events/wire";
import type { Projection } from "../../shared/projection/projection";
import type { Redis } from "../../shared/stream/redis";

const PAGE = 1000;

export type Replay = ReturnType<typeof createReplay>;

/**
 * The stream replayed into the rebuilt read model: entries are fetched ahead (while the live consumer
 * moves on) and applied only up to a limit, so the rebuilt model can stop exactly where live stands.
 */
export function createReplay(deps: {
  projection: Projection;
  redis: Redis;
  streamKey: string;
  log: (line: string) => void;
}) {
  const { projection, redis, streamKey, log } = deps;
  let position = START_OF_STREAM;
  let entries = 0;
  let fetched = START_OF_STREAM;
  let pending: RawEntry[] = [];
  return {
    /** The last entry applied. */
    position: () => position,
    entries: () => entries,

    /** Fetches the entries after those already fetched, up to and including `through`. */
    async fetchThrough(through: string): Promise<void> {
      if (compareStreamIds(through, fetched) <= 0) return;
      pending = pending.concat(await fetchAll(redis, streamKey, fetched, through));
      fetched = through;
    },

    /** Applies the fetched entries up to `limit` to the rebuilt read model (synchronously). */
    applyThrough(limit: string): void {
      const ready = pending.filter((entry) => compareStreamIds(entry.id, limit) <= 0);
      pending = pending.slice(ready.length);
      for (let start = 0; start < ready.length; start += PAGE) {
        const batch = ready.slice(start, start + PAGE);
        projection.applyBatch(batch);
        entries += batch.length;
        position = batch[batch.length - 1]?.id ?? position;
      }
      if (ready.length > 0) log(`replayed ${entries} entries, at ${position}`);
    },
  };
}

/** The newest entry's ID; the start of the stream when it is empty. */
export async function streamEnd(redis: Redis, streamKey: string): Promise<string> {
  const [last] = await redis.xrevrange(streamKey, "+", "-", "COUNT", 1);
  return last?.[0] ?? START_OF_STREAM;
}

/** Every entry after `after` up to and including `through`, fetched a page at a time. */
async function fetchAll(
  redis: Redis,
  streamKey: string,
  after: string,
  through: string,
): Promise<RawEntry[]> {
  const all: RawEntry[] = [];
  for (let from = after; compareStreamIds(from, through) < 0; ) {
    const page = await redis.xrange(streamKey, `(${from}`, through, "COUNT", PAGE);
    if (page.length === 0) break;
    for (const [id, fields] of page) all.push({ id, fields });
    from = page[page.length - 1]?.[0] ?? through;
  }
  return all;
}
