import { eq, getTableName, type SQL, sql } from "drizzle-orm";
import { START_OF_STREAM } from "../../shared/events/stream-contract";
import { checkpoints } from "../../shared/projection/tables";
import { connectDatabase } from "../../shared/sqlite/db";
import type { ConsumerPoint } from "../../shared/stream/gap";
import { ACCOUNTS_PROJECTION } from "./handler";

/** The live database: its own connection, no migrations, transactions run by hand (they span awaits). */
export type Live = ReturnType<typeof connectDatabase>;

export function connectLive(path: string): Live {
  return connectDatabase(path, { readonly: false, busyTimeoutMs: 10_000 });
}

/** The live accounts consumer's checkpoint; the start of the stream before it has one. */
export function liveConsumerPoint(live: Live): ConsumerPoint {
  const [row] = live.db.select().from(checkpoints).where(eq(checkpoints.consumer, ACCOUNTS_PROJECTION)).all();
  return {
    position: row?.position ?? START_OF_STREAM,
    entriesRead: row?.entriesRead ?? 0,
    acknowledgedThrough: row?.gapAcknowledgedThrough ?? null,
  };
}

export const livePosition = (live: Live): string => liveConsumerPoint(live).position;

/**
 * Moves a gap-held live checkpoint to the rebuilt end, with the rebuilt count of entries read; the
 * caller holds the transaction, with the rebuilt database attached.
 */
export function moveLiveCheckpoint(live: Live, to: { position: string; gapThrough: string }): void {
  const entriesRead = sql.identifier(checkpoints.entriesRead.name);
  const [read] = live.db.all<{ n: number }>(
    sql`SELECT ${entriesRead} AS n FROM ${sql.identifier("rebuilt")}.${sql.identifier(getTableName(checkpoints))}`,
  );
  live.db
    .update(checkpoints)
    .set({ position: to.position, gapAcknowledgedThrough: to.gapThrough, entriesRead: read?.n ?? 0 })
    .where(eq(checkpoints.consumer, ACCOUNTS_PROJECTION))
    .run();
}

export function runStatements(live: Live, statements: SQL[]): void {
  for (const statement of statements) live.db.run(statement);
}

/** Rows only one side has, per compared query: `<label>: live has <row>` / `<label>: rebuilt has <row>`. */
export function differences(
  live: Live,
  rebuildPath: string,
  compared: { label: string; query: SQL }[],
): string[] {
  const rebuilt = connectDatabase(rebuildPath, { readonly: true, busyTimeoutMs: 10_000 });
  try {
    return compared.flatMap(({ label, query }) => {
      const liveRows = new Set(live.db.all(query).map((row) => JSON.stringify(row)));
      const rebuiltRows = new Set(rebuilt.db.all(query).map((row) => JSON.stringify(row)));
      const only = (side: string, rows: Set<string>, other: Set<string>) =>
        [...rows].filter((row) => !other.has(row)).map((row) => `${label}: ${side} has ${row}`);
      return [...only("live", liveRows, rebuiltRows), ...only("rebuilt", rebuiltRows, liveRows)];
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
export async function inTransaction<T>(
  live: Live,
  rebuildPath: string,
  write: boolean,
  work: () => Promise<T | null>,
): Promise<T | null> {
  return withAttached(live, rebuildPath, async () => {
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
  });
}

export async function withAttached<T>(
  live: Live,
  rebuildPath: string,
  work: () => T | Promise<T>,
): Promise<T> {
  live.db.run(sql`ATTACH DATABASE ${rebuildPath} AS rebuilt`);
  try {
    return await work();
  } finally {
    live.exec("DETACH DATABASE rebuilt");
  }
}
