import type { Db } from "./db";
import { HttpError } from "./errors";
import { type IdempotencyKey, prepareIdempotency, type StoredReply, writeOnce } from "./idempotency";

export type CommittedReply = StoredReply & { replayed: boolean };

/** Commits writes like commitOnce (shared/idempotency.ts), many to one SQLite transaction (one fsync); see createGroupCommit. */
export type GroupCommit = (
  key: IdempotencyKey | null,
  now: Date,
  write: (tx: Db) => StoredReply,
) => Promise<CommittedReply>;

type Job = {
  key: IdempotencyKey | null;
  now: Date;
  write: (tx: Db) => StoredReply;
  resolve: (reply: CommittedReply) => void;
  reject: (error: unknown) => void;
};

/**
 * Group commit: the writes requested during one event-loop turn share one immediate transaction, each in
 * its own savepoint, and every promise settles only after that transaction has committed (so a reply
 * still means "on disk"). A write refused with an HttpError (bad reference, reused key, ...) rolls back
 * its savepoint alone. Any other failure rolls the whole group back and each write is run again in its
 * own transaction, so one request's trouble never fails or half-commits the others.
 */
export function createGroupCommit(db: Db): GroupCommit {
  let queue: Job[] = [];
  const statements = prepareIdempotency(db);
  const inSavepoint = savepointsOf(db);

  // commitOnce with the statements prepared above (commitOnce prepares its own on every call).
  function alone(job: Job): void {
    try {
      job.resolve(
        db.transaction((tx) => writeOnce(statements, tx, job.key, job.now, job.write), {
          behavior: "immediate",
        }),
      );
    } catch (error) {
      job.reject(error);
    }
  }

  function flush(): void {
    const jobs = queue;
    queue = [];
    if (jobs.length === 1) {
      alone(jobs[0] as Job);
      return;
    }
    let outcomes: ({ reply: CommittedReply } | { refused: HttpError })[];
    try {
      outcomes = db.transaction(
        (tx) =>
          jobs.map((job) => {
            try {
              return {
                reply: inSavepoint(tx, (savepoint) =>
                  writeOnce(statements, savepoint, job.key, job.now, job.write),
                ),
              };
            } catch (error) {
              if (error instanceof HttpError) return { refused: error };
              throw error;
            }
          }),
        { behavior: "immediate" },
      );
    } catch {
      for (const job of jobs) alone(job);
      return;
    }
    jobs.forEach((job, index) => {
      const outcome = outcomes[index];
      if (outcome && "reply" in outcome) job.resolve(outcome.reply);
      else job.reject(outcome?.refused);
    });
  }

  return (key, now, write) =>
    new Promise<CommittedReply>((resolve, reject) => {
      queue.push({ key, now, write, resolve, reject });
      if (queue.length === 1) setImmediate(flush);
    });
}

type RawConnection = { prepare(sql: string): { run(): unknown } };

/**
 * Runs work in a savepoint of the open transaction. drizzle's nested transaction builds and prepares its
 * SAVEPOINT statements on every call (a tenth of a write's time); when the driver's connection is exposed
 * (bun:sqlite and better-sqlite3 both have `prepare`), they are prepared once instead.
 */
function savepointsOf(db: Db): <T>(tx: Db, work: (tx: Db) => T) => T {
  const connection = (db as { $client?: Partial<RawConnection> }).$client;
  if (typeof connection?.prepare !== "function") return (tx, work) => tx.transaction(work);
  const raw = connection as RawConnection;
  const open = raw.prepare("SAVEPOINT group_commit_write");
  const release = raw.prepare("RELEASE group_commit_write");
  const rollback = raw.prepare("ROLLBACK TO group_commit_write");
  return (tx, work) => {
    open.run();
    try {
      const result = work(tx);
      release.run();
      return result;
    } catch (error) {
      rollback.run();
      release.run();
      throw error;
    }
  };
}
