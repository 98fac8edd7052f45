import { readdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { START_OF_STREAM } from "../../shared/events/stream-contract";
import { openDatabase } from "../../shared/sqlite/db";
import { detectGap, inspectStream } from "../../shared/stream/gap";
import type { Redis } from "../../shared/stream/redis";
import { ACCOUNTS_PROJECTION, ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES, createRevenueProjection } from "./handler";
import {
  READ_MODEL_TABLES,
  type ReadModelTables,
  type RebuildColumns,
  rebuildColumnsOf,
} from "./rebuild-columns";
import {
  connectLive,
  differences,
  inTransaction,
  type Live,
  liveConsumerPoint,
  livePosition,
  moveLiveCheckpoint,
  runStatements,
  withAttached,
} from "./rebuild-live";
import { createReplay, type Replay, streamEnd } from "./rebuild-replay";
import { comparedQueries, copyOwnedRowsStatements, swapStatements } from "./rebuild-sql";

const ATTEMPTS = 50;

/** The stream cannot give a faithful replay; nothing was changed. */
export class RebuildRefused extends Error {}

/** Files of a rebuild that was interrupted (they hold copies of users' password hashes). */
export function removeLeftovers(livePath: string): void {
  const folder = dirname(livePath);
  const prefix = `${basename(livePath)}.rebuild-`;
  for (const name of readdirSync(folder)) {
    if (name.startsWith(prefix)) rmSync(join(folder, name), { force: true });
  }
}

export type RebuildReport = { position: string; entries: number; differences: string[]; swapped: boolean };

export type RebuildDeps = {
  livePath: string;
  migrationsFolder: string;
  redis: Redis;
  streamKey: string;
  verify: boolean;
  parkTimeoutMs: number;
  now: () => Date;
  log?: (line: string) => void;
  /** The tables whose columns are copied and compared: the accounts database's own by default. */
  tables?: ReadModelTables;
};

/**
 * Replays the whole stream into a fresh database beside the live one, then either compares the two
 * read models (`verify`) or swaps the rebuilt read model in: in one transaction, only once it has
 * reached exactly the live consumer's position, so the running service goes on from there. Users and
 * accounts (owned here, not derived) are copied from the live database, never rebuilt.
 */
export async function rebuildAccountsReadModel(deps: RebuildDeps): Promise<RebuildReport> {
  const { livePath, redis, streamKey, now, log = () => {} } = deps;
  const lost = detectGap(
    { position: START_OF_STREAM, entriesRead: 0, acknowledgedThrough: null },
    await inspectStream(redis, streamKey),
  );
  if (lost) {
    throw new RebuildRefused(
      `the stream no longer holds its whole history (${lost.reason}): a replay would drop what is gone; acknowledge a gap instead`,
    );
  }
  removeLeftovers(livePath);
  const rebuildPath = `${livePath}.rebuild-${process.pid}-${Date.now()}`;
  const rebuilt = openDatabase(rebuildPath, deps.migrationsFolder, {
    walAutocheckpointPages: ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES,
  });
  const live = connectLive(livePath);
  try {
    const projection = createRevenueProjection({
      db: rebuilt.db,
      now,
      newId: () => crypto.randomUUID(),
      parkTimeoutMs: deps.parkTimeoutMs,
    });
    return await catchUpWithLive({
      ...deps,
      live,
      rebuildPath,
      replay: createReplay({ projection, redis, streamKey, log }),
      columns: rebuildColumnsOf(deps.tables ?? READ_MODEL_TABLES),
    });
  } finally {
    live.close();
    rebuilt.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${rebuildPath}${suffix}`, { force: true });
  }
}

/** What a rebuild works with once both databases are open. */
type Rebuilding = RebuildDeps & { live: Live; rebuildPath: string; replay: Replay; columns: RebuildColumns };

/**
 * Replays towards the live position until the last stretch can be finished inside one transaction on
 * the live database. A consumer held by a gap (say Redis was restored from an older backup, whole but
 * behind) does not move: the rebuild replays the stream to its end and moves the live checkpoint there.
 */
async function catchUpWithLive(rebuilding: Rebuilding): Promise<RebuildReport> {
  const { live, rebuildPath, redis, streamKey, replay, verify } = rebuilding;
  // The checkpoint first, then the stream: counts only grow, so the pair never looks like a lost stream.
  const point = liveConsumerPoint(live);
  const gapped = detectGap(point, await inspectStream(redis, streamKey)) !== null;
  const heldAt = livePosition(live);
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const end = await streamEnd(redis, streamKey);
    await withAttached(live, rebuildPath, () =>
      runStatements(live, copyOwnedRowsStatements(rebuilding.columns)),
    );
    await replay.fetchThrough(end);
    replay.applyThrough(gapped ? end : livePosition(live));
    // An immediate transaction holds the live consumer back for the few milliseconds the last stretch
    // takes (a read one, for --verify, pins its snapshot), so the rebuilt model reaches exactly the live
    // position before the comparison or the swap.
    const outcome = await inTransaction(live, rebuildPath, !verify, async () => {
      const at = livePosition(live);
      if (gapped && at !== heldAt) return null;
      return finishAt(rebuilding, gapped ? end : at, gapped ? end : null);
    });
    if (outcome === null) continue;
    return {
      position: gapped ? end : replay.position(),
      entries: replay.entries(),
      differences: outcome,
      swapped: !verify,
    };
  }
  throw new Error("the live consumer kept moving; try again when the stream is quieter");
}

/** Inside the live transaction: replays through `through`, then compares or swaps; the differences. */
async function finishAt(rebuilding: Rebuilding, through: string, gapEnd: string | null): Promise<string[]> {
  const { live, rebuildPath, replay, redis, streamKey, columns } = rebuilding;
  await replay.fetchThrough(through);
  replay.applyThrough(through);
  if (rebuilding.verify) return differences(live, rebuildPath, comparedQueries(columns, ACCOUNTS_PROJECTION));
  if (gapEnd !== null) {
    const gapThrough = (await inspectStream(redis, streamKey))?.lastGeneratedId ?? gapEnd;
    moveLiveCheckpoint(live, { position: gapEnd, gapThrough });
  }
  runStatements(live, swapStatements(columns, ACCOUNTS_PROJECTION));
  return [];
}
