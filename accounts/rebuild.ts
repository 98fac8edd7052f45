import { Database } from "bun:sqlite";
import { rmSync } from "node:fs";
import { openDatabase } from "../shared/db";
import type { Redis } from "../shared/redis";
import { compareStreamIds, type RawEntry } from "../shared/wire";
import { ACCOUNTS_PROJECTION, createRevenueProjection } from "./consumer";

/** The read model's tables and the columns that must match (times of recording aside). */
const COMPARED: Record<string, string> = {
  customers: "SELECT id, account_id, name, total_revenue_cents FROM customers ORDER BY id",
  invoices: "SELECT id, customer_id, purchase_price_cents, purchase_date FROM invoices ORDER BY id",
  account_totals: "SELECT id, total_revenue_cents FROM accounts ORDER BY id",
  processed_events: "SELECT event_id, stream_id FROM processed_events ORDER BY event_id",
  dead_letters: `SELECT stream_id, reason FROM dead_letters WHERE consumer = '${ACCOUNTS_PROJECTION}' ORDER BY stream_id`,
  parked_entries: `SELECT stream_id, awaiting FROM parked_entries WHERE consumer = '${ACCOUNTS_PROJECTION}' ORDER BY stream_id`,
};

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
  now: () => Date;
  log?: (line: string) => void;
}): Promise<RebuildReport> {
  const { livePath, migrationsFolder, redis, streamKey, verify, now, log = () => {} } = deps;
  const rebuildPath = `${livePath}.rebuild-${process.pid}-${Date.now()}`;
  const rebuilt = openDatabase(rebuildPath, migrationsFolder);
  const live = new Database(livePath, { strict: true });
  live.exec("PRAGMA busy_timeout = 10000");
  try {
    const projection = createRevenueProjection({ db: rebuilt.db, now, newId: () => crypto.randomUUID() });
    let position = "0-0";
    let entries = 0;
    for (let attempt = 0; attempt < 50; attempt++) {
      const target = livePosition(live);
      copyOwnedRows(live, rebuildPath);
      for (let batch = await range(redis, streamKey, position, target); batch.length > 0; ) {
        projection.applyBatch(batch);
        entries += batch.length;
        position = batch[batch.length - 1]?.id ?? position;
        log(`replayed ${entries} entries, at ${position}`);
        batch = await range(redis, streamKey, position, target);
      }
      if (compareStreamIds(position, target) < 0) position = target;
      if (verify) {
        // One read transaction: the live read model cannot move between the position check and the comparison.
        const found = live.transaction(() =>
          livePosition(live) === target ? differences(live, rebuildPath) : null,
        )();
        if (found === null) continue;
        return { position, entries, differences: found, swapped: false };
      }
      if (swapIfAt(live, rebuildPath, target)) return { position, entries, differences: [], swapped: true };
    }
    throw new Error("the live consumer kept moving; try again when the stream is quieter");
  } finally {
    live.close();
    rebuilt.close();
    for (const suffix of ["", "-wal", "-shm"]) rmSync(`${rebuildPath}${suffix}`, { force: true });
  }
}

function livePosition(live: Database): string {
  const row = live
    .query<{ position: string }, [string]>("SELECT position FROM checkpoints WHERE consumer = ?")
    .get(ACCOUNTS_PROJECTION);
  return row?.position ?? "0-0";
}

/** Entries after `after` up to and including `through`, a page at a time. */
async function range(redis: Redis, streamKey: string, after: string, through: string): Promise<RawEntry[]> {
  if (compareStreamIds(after, through) >= 0) return [];
  const page = await redis.xrange(streamKey, `(${after}`, through, "COUNT", 1000);
  return page.map(([id, fields]) => ({ id, fields }));
}

// Users and accounts are the source of truth here: the rebuild needs every account an event may name.
function copyOwnedRows(live: Database, rebuildPath: string): void {
  withAttached(live, rebuildPath, () => {
    live.exec(`INSERT OR IGNORE INTO rebuilt.users SELECT * FROM main.users;
      INSERT OR IGNORE INTO rebuilt.accounts (id, name, description, owned_by, created_date, total_revenue_cents)
        SELECT id, name, description, owned_by, created_date, 0 FROM main.accounts;`);
  });
}

function swapIfAt(live: Database, rebuildPath: string, target: string): boolean {
  return withAttached(live, rebuildPath, () =>
    live
      .transaction(() => {
        if (livePosition(live) !== target) return false;
        live.exec(`DELETE FROM main.invoices;
        DELETE FROM main.customers;
        INSERT INTO main.customers SELECT * FROM rebuilt.customers;
        INSERT INTO main.invoices SELECT * FROM rebuilt.invoices;
        UPDATE main.accounts SET total_revenue_cents =
          coalesce((SELECT r.total_revenue_cents FROM rebuilt.accounts r WHERE r.id = main.accounts.id), 0);
        DELETE FROM main.processed_events;
        INSERT INTO main.processed_events SELECT * FROM rebuilt.processed_events;
        DELETE FROM main.dead_letters WHERE consumer = '${ACCOUNTS_PROJECTION}';
        INSERT INTO main.dead_letters (consumer, stream_id, reason, fields, recorded_at)
          SELECT consumer, stream_id, reason, fields, recorded_at FROM rebuilt.dead_letters;
        DELETE FROM main.parked_entries WHERE consumer = '${ACCOUNTS_PROJECTION}';
        INSERT INTO main.parked_entries SELECT * FROM rebuilt.parked_entries;
        UPDATE main.checkpoints SET entries_read =
          coalesce((SELECT r.entries_read FROM rebuilt.checkpoints r WHERE r.consumer = main.checkpoints.consumer), 0)
          WHERE consumer = '${ACCOUNTS_PROJECTION}';`);
        return true;
      })
      .immediate(),
  );
}

function differences(live: Database, rebuildPath: string): string[] {
  const rebuilt = new Database(rebuildPath, { readonly: true });
  try {
    return Object.entries(COMPARED).flatMap(([table, query]) => {
      const liveRows = new Set(
        live
          .query(query)
          .all()
          .map((row) => JSON.stringify(row)),
      );
      const rebuiltRows = new Set(
        rebuilt
          .query(query)
          .all()
          .map((row) => JSON.stringify(row)),
      );
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

function withAttached<T>(live: Database, rebuildPath: string, work: () => T): T {
  live.query("ATTACH DATABASE ? AS rebuilt").run(rebuildPath);
  try {
    return work();
  } finally {
    live.exec("DETACH DATABASE rebuilt");
  }
}
