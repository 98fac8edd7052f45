import { readdirSync, rmSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { type SQL, sql } from "drizzle-orm";
import { compareStreamIds, START_OF_STREAM } from "../../shared/events/stream-contract";
import type { RawEntry } from "../../shared/events/wire";
import { connectDatabase, openDatabase } from "../../shared/sqlite/db";
import { type ConsumerPoint, detectGap, inspectStream } from "../../shared/stream/gap";
import type { Redis } from "../../shared/stream/redis";
import { ACCOUNTS_PROJECTION, ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES, createRevenueProjection } from "./handler";

/** The read model's tables and the columns that must match (times of recording aside). */
const COMPARED: Record<string, string> = {
  customers: "SELECT id, account_id, name, total_revenue_cents, deleted_date FROM customers ORDER BY id",
  invoices:
    "SELECT id, customer_id, purchase_price_cents, purchase_date, deleted_date FROM invoices ORDER BY id",
  // Only the derived total: the rest of an account row (its deleted_date too) is owned, copied from live.
  account_totals: "SELECT id, total_revenue_cents FROM accounts ORDER BY id",
  processed_events: "SELECT event_id, stream_id FROM processed_events ORDER BY event_id",
  dead_letters: `SELECT stream_id, reason FROM dead_letters WHERE consumer = '${ACCOUNTS_PROJECTION}' ORDER BY stream_id`,
  parked_entries: `SELECT stream_id, awaiting FROM parked_entries WHERE consumer = '${ACCOUNTS_PROJECTION}' ORDER BY stream_id`,
};

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

/**
 * Replays the whole stream into a fresh database beside the live one, then either compares the two
 * read models (`verify`) or swaps the rebuilt read model in: in one transaction, only once it has
 * reached exactly the live consumer's position, so the running service goes on from there. Users and
 * accounts (owned here, not derived) are copied from the live database, never rebuilt.
 */
export async function rebuildAccountsReadModel(deps: {
  livePath: string;
  migrationsFolder: string;
  redis: Redis;
  streamKey: string;
  verify: boolean;
  parkTimeoutMs: number;
  now: () => Date;
  log?: (line: string) => void;
}): Promise<RebuildReport> {
  const { livePath, migrationsFolder, redis, streamKey, verify, parkTimeoutMs, now, log = () => {} } = deps;
  const stream = await inspectStream(redis, streamKey);
  const lost = detectGap({ position: START_OF_STREAM, entriesRead: 0, acknowledgedThrough: null }, stream);
  if (lost) {
    throw new RebuildRefused(
      `the stream no longer holds its whole history (${lost.reason}): a replay would drop what is gone; acknowledge a gap instead`,
    );
  }
  removeLeftovers(livePath);
  const rebuildPath = `${livePath}.rebuild-${process.pid}-${Date.now()}`;
  const rebuilt = openDatabase(rebuildPath, migrationsFolder, {
    walAutocheckpointPages: ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES,
  });
  const live = connectDatabase(livePath, { readonly: false, busyTimeoutMs: 10_000 });
  try {
    const projection = createRevenueProjection({
      db: rebuilt.db,
      now,
      newId: () => crypto.randomUUID(),
      parkTimeoutMs,
    });
    let position = START_OF_STREAM;
    let entries = 0;
    let fetched = START_OF_STREAM;
    let pending: RawEntry[] = [];
    // Applies the fetched entries up to `limit` to the rebuilt read model (synchronously).
    const applyThrough = (limit: string) => {
      const ready = pending.filter((entry) => compareStreamIds(entry.id, limit) <= 0);
      pending = pending.slice(ready.length);
      for (let start = 0; start < ready.length; start += 1000) {
        const batch = ready.slice(start, start + 1000);
        projection.applyBatch(batch);
        entries += batch.length;
        position = batch[batch.length - 1]?.id ?? position;
      }
      if (ready.length > 0) log(`replayed ${entries} entries, at ${position}`);
    };
    // A consumer held by a gap (say Redis was restored from an older backup, whole but behind) does not
    // move: the rebuild replays the stream to its end and moves the live checkpoint there.
    // The checkpoint first, then the stream: counts only grow, so the pair never looks like a lost stream.
    const point = liveConsumerPoint(live);
    const gapped = detectGap(point, await inspectStream(redis, streamKey)) !== null;
    const heldAt = livePosition(live);
    for (let attempt = 0; attempt < 50; attempt++) {
      const end = await streamEnd(redis, streamKey);
      copyOwnedRows(live, rebuildPath);
      pending = pending.concat(await fetchAll(redis, streamKey, fetched, end));
      fetched = end;
      applyThrough(gapped ? end : livePosition(live));
      // The last stretch runs inside a transaction on the live database: an immediate one holds the live
      // consumer back for the few milliseconds it takes (a read one, for --verify, pins its snapshot), so
      // the rebuilt model reaches exactly the live position before the comparison or the swap.
      const outcome = await inTransaction(live, rebuildPath, !verify, async () => {
        const at = livePosition(live);
        if (gapped && at !== heldAt) return null;
        const through = gapped ? end : at;
        if (compareStreamIds(through, fetched) > 0) {
          pending = pending.concat(await fetchAll(redis, streamKey, fetched, through));
          fetched = through;
        }
        applyThrough(through);
        if (verify) return differences(live, rebuildPath);
        const gapThrough = gapped ? ((await inspectStream(redis, streamKey))?.lastGeneratedId ?? end) : null;
        swapIn(live, gapThrough ? { position: end, gapThrough } : null);
        return [];
      });
      if (outcome === null) continue;
      return { position: gapped ? end : position, entries, differences: outcome, swapped: !verify };
    }
    throw new Error("the live consumer kept moving; try again when the stream is quieter");
  } finally {
    live.close();
    rebuilt.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${rebuildPath}${suffix}`, { force: true });
  }
}

/** The live database: its own connection, no migrations, transactions run by hand (they span awaits). */
type Live = ReturnType<typeof connectDatabase>;

// drizzle's db.get on raw SQL gives an array of values on bun:sqlite but an object on better-sqlite3;
// db.all gives objects on every driver.
function firstRow<T>(live: Live, query: SQL): T | undefined {
  return live.db.all<T>(query)[0];
}

function liveConsumerPoint(live: Live): ConsumerPoint {
  const row = firstRow<{ position: string; entries_read: number; gap_acknowledged_through: string | null }>(
    live,
    sql`SELECT position, entries_read, gap_acknowledged_through FROM checkpoints WHERE consumer = ${ACCOUNTS_PROJECTION}`,
  );
  return {
    position: row?.position ?? START_OF_STREAM,
    entriesRead: row?.entries_read ?? 0,
    acknowledgedThrough: row?.gap_acknowledged_through ?? null,
  };
}

async function streamEnd(redis: Redis, streamKey: string): Promise<string> {
  const [last] = await redis.xrevrange(streamKey, "+", "-", "COUNT", 1);
  return last?.[0] ?? START_OF_STREAM;
}

function livePosition(live: Live): string {
  const row = firstRow<{ position: string }>(
    live,
    sql`SELECT position FROM checkpoints WHERE consumer = ${ACCOUNTS_PROJECTION}`,
  );
  return row?.position ?? START_OF_STREAM;
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
    const page = await redis.xrange(streamKey, `(${from}`, through, "COUNT", 1000);
    if (page.length === 0) break;
    for (const [id, fields] of page) all.push({ id, fields });
    from = page[page.length - 1]?.[0] ?? through;
  }
  return all;
}

// Users and accounts are the source of truth here: the rebuild needs every account an event may name,
// deleted ones included (the projection ignores account deletions). Called on each attempt, so an
// account deleted meanwhile has its deleted_date brought over too.
function copyOwnedRows(live: Live, rebuildPath: string): void {
  withAttached(live, rebuildPath, () => {
    live.exec(`INSERT OR IGNORE INTO rebuilt.users SELECT * FROM main.users;
      INSERT INTO rebuilt.accounts
          (id, name, description, owned_by, created_date, total_revenue_cents, deleted_date)
        SELECT id, name, description, owned_by, created_date, 0, deleted_date FROM main.accounts WHERE true
        ON CONFLICT (id) DO UPDATE SET deleted_date = excluded.deleted_date;`);
  });
}

/**
 * Replaces the live read model with the rebuilt one; the caller holds the transaction, with the rebuilt
 * database attached. With `moveTo` (a gap-held consumer) the live checkpoint moves to the rebuilt end.
 */
function swapIn(live: Live, moveTo: { position: string; gapThrough: string } | null): void {
  if (moveTo) {
    const read = firstRow<{ n: number }>(live, sql`SELECT entries_read AS n FROM rebuilt.checkpoints`);
    live.db.run(
      sql`UPDATE main.checkpoints SET position = ${moveTo.position}, gap_acknowledged_through = ${moveTo.gapThrough}, entries_read = ${read?.n ?? 0} WHERE consumer = ${ACCOUNTS_PROJECTION}`,
    );
  }
  live.exec(`DELETE FROM main.invoices;
    DELETE FROM main.customers;
    INSERT INTO main.customers (id, account_id, name, total_revenue_cents, deleted_date)
      SELECT id, account_id, name, total_revenue_cents, deleted_date FROM rebuilt.customers;
    INSERT INTO main.invoices (id, customer_id, purchase_price_cents, purchase_date, deleted_date)
      SELECT id, customer_id, purchase_price_cents, purchase_date, deleted_date FROM rebuilt.invoices;
    UPDATE main.accounts SET total_revenue_cents =
      coalesce((SELECT r.total_revenue_cents FROM rebuilt.accounts r WHERE r.id = main.accounts.id), 0);
    DELETE FROM main.processed_events;
    INSERT INTO main.processed_events SELECT * FROM rebuilt.processed_events;
    DELETE FROM main.dead_letters WHERE consumer = '${ACCOUNTS_PROJECTION}';
    INSERT INTO main.dead_letters (consumer, stream_id, reason, fields, recorded_at)
      SELECT consumer, stream_id, reason, fields, recorded_at FROM rebuilt.dead_letters;
    DELETE FROM main.parked_entries WHERE consumer = '${ACCOUNTS_PROJECTION}';
    INSERT INTO main.parked_entries SELECT * FROM rebuilt.parked_entries;`);
}

function differences(live: Live, rebuildPath: string): string[] {
  const rebuilt = connectDatabase(rebuildPath, { readonly: true, busyTimeoutMs: 10_000 });
  try {
    return Object.entries(COMPARED).flatMap(([table, query]) => {
      const liveRows = new Set(live.db.all(sql.raw(query)).map((row) => JSON.stringify(row)));
      const rebuiltRows = new Set(rebuilt.db.all(sql.raw(query)).map((row) => JSON.stringify(row)));
      const onlyLive = [...liveRows]
        .filter((row) => !rebuiltRows.has(row))
        .map((row) => `${table}: live has ${row}`);
      const onlyRebuilt = [...rebuiltRows]
        .filter((row) => !liveRows.has(row))
        .map((row) => `${table}: rebuilt has ${row}`);
      return [...onlyLive, ...onlyRebuilt];
    });
  } finally {
    rebuilt.close();
  }
}

/**
 * Runs `work` in a transaction on the live database with the rebuilt one attached; null rolls back.
 * With `write`, the live file's write lock is taken at once by a write to it alone (BEGIN IMMEDIATE
 * would lock the attached rebuilt file too, which the rebuild still writes through its own connection).
 */
async function inTransaction<T>(
  live: Live,
  rebuildPath: string,
  write: boolean,
  work: () => Promise<T | null>,
): Promise<T | null> {
  live.db.run(sql`ATTACH DATABASE ${rebuildPath} AS rebuilt`);
  try {
    live.exec("BEGIN");
    if (write) live.exec("DELETE FROM main.idempotency_keys WHERE 0");
    try {
      const result = await work();
      live.exec(result === null ? "ROLLBACK" : "COMMIT");
      return result;
    } catch (error) {
      live.exec("ROLLBACK");
      throw error;
    }
  } finally {
    live.exec("DETACH DATABASE rebuilt");
  }
}

function withAttached<T>(live: Live, rebuildPath: string, work: () => T): T {
  live.db.run(sql`ATTACH DATABASE ${rebuildPath} AS rebuilt`);
  try {
    return work();
  } finally {
    live.exec("DETACH DATABASE rebuilt");
  }
}
