import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createGroupCommit, type GroupCommit } from "../../customers/group-commit";
import { knownAccounts } from "../../customers/tables";
import { NotFoundError } from "../../shared/http/errors";
import type { IdempotencyKey } from "../../shared/http/idempotency";
import type { Db } from "../../shared/sqlite/db";
import { openDatabase, type SqliteDatabase } from "../../shared/sqlite/db";
import { tempDir } from "../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "migrations", "customers");
const at = new Date("2026-11-24T08:00:00.000Z");

let dir: ReturnType<typeof tempDir>;
let database: SqliteDatabase;
let commit: GroupCommit;

beforeEach(() => {
  dir = tempDir("streamledger-group-commit-");
  database = openDatabase(join(dir.path, "customers.sqlite"), MIGRATIONS);
  commit = createGroupCommit(database.db);
});

afterEach(() => {
  database.close();
  dir.remove();
});

const addAccount = (id: number) => (tx: Db) => {
  tx.insert(knownAccounts)
    .values({ id, name: `account ${id}`, ownedBy: "user1", createdDate: at.toISOString() })
    .run();
  return { status: 201, body: { id } };
};

const accountIds = () =>
  database.db
    .select({ id: knownAccounts.id })
    .from(knownAccounts)
    .all()
    .map((row) => row.id)
    .sort((a, b) => a - b);

const key = (name: string): IdempotencyKey => ({
  username: "user1",
  key: name,
  route: "POST /test",
  requestHash: "same",
});

// The writes are requested without awaiting in between: they fall in one event-loop turn, one group.
describe("group commit", () => {
  test("writes of one turn each get their own reply, and all are committed", async () => {
    const replies = await Promise.all([1, 2, 3].map((id) => commit(null, at, addAccount(id))));

    expect(replies.map((reply) => reply.body)).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    expect(accountIds()).toEqual([1, 2, 3]);
  });

  test("a write refused with an HTTP error rolls back alone; the rest of its group commits", async () => {
    const refused = (tx: Db) => {
      addAccount(2)(tx);
      throw new NotFoundError("no such thing");
    };
    const outcomes = await Promise.allSettled([
      commit(null, at, addAccount(1)),
      commit(null, at, refused),
      commit(null, at, addAccount(3)),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect((outcomes[1] as PromiseRejectedResult).reason).toBeInstanceOf(NotFoundError);
    expect(accountIds()).toEqual([1, 3]);
  });

  test("a write failing otherwise (a constraint) fails alone: the others are run again and committed", async () => {
    await commit(null, at, addAccount(7));
    const outcomes = await Promise.allSettled([
      commit(null, at, addAccount(1)),
      commit(null, at, addAccount(7)),
      commit(null, at, addAccount(3)),
    ]);

    expect(outcomes.map((outcome) => outcome.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    expect(String((outcomes[1] as PromiseRejectedResult).reason)).toContain("UNIQUE");
    expect(accountIds()).toEqual([1, 3, 7]);
  });

  test("the same Idempotency-Key twice in one group: the second replays the first and writes nothing", async () => {
    const [first, second] = await Promise.all([
      commit(key("once"), at, addAccount(1)),
      commit(key("once"), at, addAccount(2)),
    ]);

    expect(first).toEqual({ status: 201, body: { id: 1 }, replayed: false });
    expect(second).toEqual({ status: 201, body: { id: 1 }, replayed: true });
    expect(accountIds()).toEqual([1]);
  });
});
