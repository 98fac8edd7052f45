import { sql } from "drizzle-orm";
import type { Db } from "./db";

/**
 * Runs `work`, which commits a transaction of its own, with `synchronous=NORMAL`, then puts the connection
 * back to FULL (shared/sqlite/db.ts). For commits nobody has been promised yet: a consumer's batch with its
 * checkpoint, the relay's deletion of published outbox rows. In WAL mode such a commit is still atomic
 * and survives a crash of the process; a power loss may roll it back, and then the batch is read and
 * applied again, or the rows published again, and consumers drop repeats by EventId. The next FULL commit
 * (any write that answers a client) syncs the log up to itself, these commits included.
 */
export function withoutFsync<T>(db: Db, work: () => T): T {
  // SQLite refuses to change it inside a transaction; callers are never in one.
  db.run(sql`PRAGMA synchronous = NORMAL`);
  try {
    return work();
  } finally {
    db.run(sql`PRAGMA synchronous = FULL`);
  }
}
