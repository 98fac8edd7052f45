import { HttpError } from "../shared/http/errors";
import {
  type CommittedReply,
  type IdempotencyKey,
  prepareIdempotency,
  type StoredReply,
  writeOnce,
} from "../shared/http/idempotency";
import type { Db } from "../shared/sqlite/db";
import { savepointsOf } from "../shared/sqlite/savepoints";

/** Commits writes like commitOnce (shared/http/idempotency.ts), many to one SQLite transaction (one fsync); see createGroupCommit. */
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
  const inSavepoint = savepointsOf(db, "group_commit_write");

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
