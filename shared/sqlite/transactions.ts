import type { Db } from "./db";
import { controlStatementOf } from "./savepoints";

/** One transaction's work, and what decides its end once the work has returned. */
export type TransactionUnit<T> = {
  work: () => T;
  /** Whether what `work` returned is to be committed; when false the transaction is rolled back. */
  commits: (value: T) => boolean;
  /** Runs after any rollback, asked for or caused by a throw (e.g. to forget state the work kept in memory). */
  afterRollback?: () => void;
};

/**
 * Immediate transactions on `db`'s connection that their owner ends by value: drizzle's synchronous
 * `transaction()` rolls back only on a throw, so an owner that decides to roll back would have to throw.
 * A throw (SQLite busy, a bug) still rolls back, and is rethrown.
 */
export function immediateTransactionsOf(db: Db): <T>(unit: TransactionUnit<T>) => T {
  const begin = controlStatementOf(db, "BEGIN IMMEDIATE");
  const commit = controlStatementOf(db, "COMMIT");
  const rollback = controlStatementOf(db, "ROLLBACK");
  return ({ work, commits, afterRollback }) => {
    begin();
    let value: ReturnType<typeof work>;
    try {
      value = work();
      if (commits(value)) {
        commit();
        return value;
      }
    } catch (error) {
      rollBackAfterFailure(rollback);
      afterRollback?.();
      throw error;
    }
    rollback();
    afterRollback?.();
    return value;
  };
}

// SQLite itself rolls back on some failures (a full disk, an I/O error); the ROLLBACK then fails with "no
// transaction is active", and the failure that matters is the one that caused it.
function rollBackAfterFailure(rollback: () => void): void {
  try {
    rollback();
  } catch {}
}
