import { sql } from "drizzle-orm";
import { type Db, rawConnectionOf } from "./db";

/**
 * A statement without parameters (transaction control), prepared once on the driver's connection:
 * drizzle would build and prepare it on every call (for savepoints, a tenth of a group-committed write's
 * time, and a cost per projected entry). Run through drizzle when the connection is not exposed.
 */
export function controlStatementOf(db: Db, text: string): () => void {
  const raw = rawConnectionOf(db);
  if (!raw) {
    const query = sql.raw(text);
    return () => void db.run(query);
  }
  const statement = raw.prepare(text);
  return () => void statement.run();
}

/**
 * A savepoint named `name` in the transaction open on `db`'s connection: `open` it, then either `release`
 * it (its writes stay in the transaction) or `rollBack` (its writes are undone and it is gone).
 */
export type Savepoint = { open(): void; release(): void; rollBack(): void };

/** A savepoint named `name` on `db`'s connection, its statements prepared once. */
export function savepointOf(db: Db, name: string): Savepoint {
  const open = controlStatementOf(db, `SAVEPOINT ${name}`);
  const release = controlStatementOf(db, `RELEASE ${name}`);
  const rollBackTo = controlStatementOf(db, `ROLLBACK TO ${name}`);
  return {
    open,
    release,
    rollBack() {
      rollBackTo();
      release();
    },
  };
}

/** Runs work in a savepoint named `name` of the open transaction; a throw undoes its writes and is rethrown. */
export function savepointsOf(db: Db, name: string): <T>(tx: Db, work: (tx: Db) => T) => T {
  const savepoint = savepointOf(db, name);
  return (tx, work) => {
    savepoint.open();
    try {
      const result = work(tx);
      savepoint.release();
      return result;
    } catch (error) {
      savepoint.rollBack();
      throw error;
    }
  };
}
