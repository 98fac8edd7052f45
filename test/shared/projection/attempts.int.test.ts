import { describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { accounts } from "../../../accounts/tables";
import type { RawEntry } from "../../../shared/events/wire";
import { outbox } from "../../../shared/outbox/table";
import {
  attemptAllOrNothing,
  attemptSavepointPerEntry,
  type Batch,
} from "../../../shared/projection/attempts";
import {
  type AppliedEntry,
  applied,
  type BatchSession,
  deferred,
  type FlushOutcome,
  type HandlerOutcome,
  rejected,
} from "../../../shared/projection/handler";
import {
  createApplyContext,
  createProjection,
  type ProjectionOptions,
} from "../../../shared/projection/projection";
import { checkpoints, deadLetters, parkedEntries, processedEvents } from "../../../shared/projection/tables";
import type { Db } from "../../../shared/sqlite/db";
import { ENTRY_TIME, entry } from "../../support/entries";
import { FIXTURE_TIME, useRevenueFixtures } from "../../support/revenue-fixture";

const { fresh } = useRevenueFixtures();

/** A CustomerUpdated whose name tells the scripted handler what to do (see `scripted`). */
const updated = (streamId: string, name: string, eventId?: string) =>
  entry(streamId, "CustomerUpdated", { id: "1", account_id: "1", name, updated_date: ENTRY_TIME }, eventId);
const undecodable: RawEntry = {
  id: "1-1",
  fields: ["EventTypeName", "CustomerUpdated", "Payload", "{not json"],
};
const batchOf = (entries: RawEntry[]): Batch => ({ entries, last: entries[entries.length - 1]?.id ?? "" });

/** A session that records what it is told, and whose flush reports `flushOutcome`. */
function recordingSession(flushOutcome: FlushOutcome): { session: BatchSession; told: string[] } {
  const told: string[] = [];
  const session: BatchSession = {
    begin: (kind) => void told.push(`begin ${kind}`),
    flush: () => {
      told.push("flush");
      return flushOutcome;
    },
    discard: () => void told.push("discard"),
  };
  return { session, told };
}

/**
 * A projection whose handler adds 1 to account 1's total for each CustomerUpdated, except as its name
 * says: `reject`, `defer` (awaiting `customer:9`) and `fail` (a throw), each before writing anything, and
 * `write then reject`, which writes first.
 */
function scripted(options: { flush?: FlushOutcome } = {}) {
  const { database } = fresh();
  const { session, told } = recordingSession(options.flush ?? "written");
  const handled: string[] = [];
  const addOne = (tx: Db) =>
    tx
      .update(accounts)
      .set({ totalRevenueCents: sql`${accounts.totalRevenueCents} + 1` })
      .where(eq(accounts.id, 1))
      .run();
  function handle(tx: Db, { streamId, event }: AppliedEntry): HandlerOutcome {
    handled.push(streamId);
    const name = event.type === "CustomerUpdated" ? event.payload.name : "";
    if (name === "reject") return rejected("told to");
    if (name === "defer") return deferred("customer:9", "told to wait");
    if (name === "fail") throw new Error("disk trouble");
    addOne(tx);
    return name === "write then reject" ? rejected("told to, after writing") : applied();
  }
  const projectionOptions: ProjectionOptions = {
    db: database.db,
    name: "scripted",
    handles: ["CustomerUpdated"],
    handle,
    session,
    now: () => FIXTURE_TIME,
    newId: () => crypto.randomUUID(),
  };
  const { db } = database;
  const count = (table: typeof processedEvents | typeof deadLetters | typeof parkedEntries) =>
    db.select({ count: sql<number>`count(*)` }).from(table).get()?.count ?? 0;
  const state = () => ({
    total: db.select().from(accounts).where(eq(accounts.id, 1)).get()?.totalRevenueCents,
    processed: count(processedEvents),
    deadLetters: count(deadLetters),
    parked: count(parkedEntries),
    deadLetterStream: db.select().from(outbox).where(eq(outbox.target, "dlq")).all().length,
    checkpoint:
      db.select().from(checkpoints).where(eq(checkpoints.consumer, "scripted")).get()?.position ?? null,
  });
  return { context: createApplyContext(projectionOptions), projectionOptions, told, handled, state };
}

describe("an all-or-nothing attempt", () => {
  test("over entries that all apply commits them with the checkpoint, telling the session begin then flush", () => {
    const { context, told, state } = scripted();

    const outcome = attemptAllOrNothing(
      context,
      batchOf([updated("1-0", "a", "e1"), updated("1-1", "b", "e2")]),
    );

    expect(outcome).toMatchObject({ kind: "committed", result: { position: "1-1", applied: 2 } });
    expect(state()).toMatchObject({ total: 2, processed: 2, deadLetters: 0, parked: 0, checkpoint: "1-1" });
    expect(told).toEqual(["begin all-or-nothing", "flush"]);
  });

  test.each([
    ["a rejected event", updated("1-1", "reject", "e2")],
    ["a deferred event", updated("1-1", "defer", "e2")],
    ["an undecodable entry", undecodable],
  ])("that meets %s returns replay-with-savepoints and leaves nothing behind", (_situation, entry) => {
    const { context, told, state } = scripted();
    const before = state();

    const outcome = attemptAllOrNothing(
      context,
      batchOf([updated("1-0", "a", "e1"), entry, updated("1-2", "c")]),
    );

    expect(outcome).toEqual({ kind: "replay-with-savepoints" });
    expect(state()).toEqual(before);
    expect(told).toEqual(["begin all-or-nothing", "discard"]);
  });

  test("that meets an EventId repeated within it stops before its handler sees the repeat", () => {
    const { context, handled, state } = scripted();
    const before = state();

    const outcome = attemptAllOrNothing(
      context,
      batchOf([updated("1-0", "a", "e1"), updated("1-1", "a", "e1")]),
    );

    expect(outcome).toEqual({ kind: "replay-with-savepoints" });
    expect(handled).toEqual(["1-0"]);
    expect(state()).toEqual(before);
  });

  test("that applied an EventId an earlier batch applied finds it when recording EventIds, and leaves nothing", () => {
    const { context, told, state } = scripted();
    attemptAllOrNothing(context, batchOf([updated("1-0", "a", "e1")]));
    const before = state();
    told.length = 0;

    const outcome = attemptAllOrNothing(
      context,
      batchOf([updated("2-0", "b", "e2"), updated("2-1", "a", "e1")]),
    );

    expect(outcome).toEqual({ kind: "replay-with-savepoints" });
    expect(state()).toEqual(before);
    expect(told).toEqual(["begin all-or-nothing", "discard"]);
  });

  test("whose session finds a conflict at flush returns replay-with-savepoints, and the session discards", () => {
    const { context, told, state } = scripted({ flush: "conflict" });
    const before = state();

    expect(attemptAllOrNothing(context, batchOf([updated("1-0", "a")]))).toEqual({
      kind: "replay-with-savepoints",
    });
    expect(state()).toEqual(before);
    expect(told).toEqual(["begin all-or-nothing", "flush", "discard"]);
  });

  test("whose handler throws lets the failure out, leaves nothing, and the session discards", () => {
    const { context, told, state } = scripted();
    const before = state();

    expect(() =>
      attemptAllOrNothing(context, batchOf([updated("1-0", "a"), updated("1-1", "fail")])),
    ).toThrow("disk trouble");
    expect(state()).toEqual(before);
    expect(told).toEqual(["begin all-or-nothing", "discard"]);
  });
});

describe("a savepoint-per-entry attempt", () => {
  test("dead-letters a rejection, parks a deferral and commits the rest with the checkpoint", () => {
    const { context, told, state } = scripted();

    const result = attemptSavepointPerEntry(
      context,
      batchOf([
        updated("1-0", "a"),
        updated("1-1", "reject"),
        undecodable,
        updated("1-2", "defer"),
        updated("1-3", "b"),
      ]),
    );

    expect(result).toMatchObject({ position: "1-3", applied: 2, deadLettered: 2, parked: 1 });
    expect(state()).toMatchObject({
      total: 2,
      deadLetters: 2,
      parked: 1,
      deadLetterStream: 2,
      checkpoint: "1-3",
    });
    expect(told).toEqual(["begin savepoint-per-entry", "flush"]);
  });

  test("undoes what a handler wrote for an event it then rejected, and nothing else", () => {
    const { context, state } = scripted();

    const result = attemptSavepointPerEntry(
      context,
      batchOf([
        updated("1-0", "a", "e1"),
        updated("1-1", "write then reject", "e2"),
        updated("1-2", "b", "e3"),
      ]),
    );

    expect(result).toMatchObject({ applied: 2, deadLettered: 1 });
    expect(state()).toMatchObject({ total: 2, processed: 2, deadLetters: 1 });
  });

  test("whose session reports a conflict with nothing deferred throws, leaving nothing (checkpoint included)", () => {
    const { context, told, state } = scripted({ flush: "conflict" });
    const before = state();

    expect(() => attemptSavepointPerEntry(context, batchOf([updated("1-0", "a")]))).toThrow(
      "reported a conflict with nothing deferred",
    );
    expect(state()).toEqual(before);
    expect(told).toEqual(["begin savepoint-per-entry", "flush", "discard"]);
  });
});

describe("applyBatch", () => {
  test("with nothing parked, attempts all or nothing first, and replays with savepoints only when it must", () => {
    const { projectionOptions, told } = scripted();
    const projection = createProjection(projectionOptions);

    projection.applyBatch([updated("1-0", "a")]);
    expect(told.splice(0)).toEqual(["begin all-or-nothing", "flush"]);

    projection.applyBatch([updated("2-0", "a"), updated("2-1", "reject")]);
    expect(told.splice(0)).toEqual(["begin all-or-nothing", "discard", "begin savepoint-per-entry", "flush"]);
  });

  test("with entries parked, goes savepoint by savepoint at once", () => {
    const { projectionOptions, told } = scripted();
    const projection = createProjection(projectionOptions);
    projection.applyBatch([updated("1-0", "defer")]);
    told.length = 0;

    expect(projection.applyBatch([updated("2-0", "a")])).toMatchObject({ applied: 1 });
    expect(told).toEqual(["begin savepoint-per-entry", "flush"]);
  });
});
