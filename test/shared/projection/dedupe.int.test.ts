import { describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { accounts } from "../../../accounts/tables";
import type { RawEntry } from "../../../shared/events/wire";
import { applied } from "../../../shared/projection/handler";
import { createProjection } from "../../../shared/projection/projection";
import { customerEntry, ENTRY_TIME, entry, invoiceEntry } from "../../support/entries";
import {
  FIXTURE_TIME,
  projectionState,
  useRevenueFixtures,
  ZERO_COUNTS,
} from "../../support/revenue-fixture";

const { fresh } = useRevenueFixtures();
const none = ZERO_COUNTS;

describe("an event seen twice", () => {
  test("with the same EventId is applied once, within a batch and across batches", () => {
    const { database, projection } = fresh();

    const first = projection.applyBatch([
      customerEntry("1-0", 1, 1, "customer-1"),
      invoiceEntry("2-0", 1, 1, 500, "invoice-1"),
      invoiceEntry("3-0", 1, 1, 500, "invoice-1"),
    ]);
    const second = projection.applyBatch([invoiceEntry("4-0", 1, 1, 500, "invoice-1")]);

    expect(first).toEqual({ ...none, position: "3-0", applied: 2, duplicates: 1 });
    expect(second).toEqual({ ...none, position: "4-0", duplicates: 1 });
    expect(projectionState(database)).toMatchObject({ accounts: { 1: 500 }, invoices: 1, deadLetters: [] });
  });
});

describe("dedupe, for a handler whose effect is not idempotent", () => {
  /** A projection that adds 1 to account 1's total for every CustomerUpdated it applies. */
  function countingProjection(skip?: (entry: RawEntry) => boolean) {
    const { database } = fresh();
    const projection = createProjection({
      db: database.db,
      name: "counting",
      handles: ["CustomerUpdated"],
      handle: (tx) => {
        tx.update(accounts)
          .set({ totalRevenueCents: sql`${accounts.totalRevenueCents} + 1` })
          .where(eq(accounts.id, 1))
          .run();
        return applied();
      },
      skip,
      now: () => FIXTURE_TIME,
      newId: () => crypto.randomUUID(),
    });
    const count = () => projectionState(database).accounts[1];
    return { projection, count, database };
  }
  const updated = (streamId: string, eventId: string) =>
    entry(
      streamId,
      "CustomerUpdated",
      { id: "1", account_id: "1", name: "n", updated_date: ENTRY_TIME },
      eventId,
    );

  test("an EventId applied in an earlier batch is a duplicate, wherever it comes in a later one", () => {
    const { projection, count } = countingProjection();
    projection.applyBatch([updated("1-0", "e1"), updated("1-1", "e2")]);

    const again = projection.applyBatch([updated("2-0", "e3"), updated("2-1", "e1"), updated("2-2", "e4")]);

    expect(again).toMatchObject({
      position: "2-2",
      applied: 2,
      duplicates: 1,
      appliedEventIds: ["e3", "e4"],
    });
    expect(count()).toBe(4);
  });

  test("an EventId repeated within a batch counts once", () => {
    const { projection, count } = countingProjection();

    const result = projection.applyBatch([updated("1-0", "e1"), updated("1-1", "e2"), updated("1-2", "e1")]);

    expect(result).toMatchObject({ applied: 2, duplicates: 1 });
    expect(count()).toBe(2);
    expect(projection.applyBatch([updated("2-0", "e2")])).toMatchObject({ applied: 0, duplicates: 1 });
    expect(count()).toBe(2);
  });

  test("entries `skip` picks are passed undecoded: not applied, recorded nor dead-lettered", () => {
    const { projection, count, database } = countingProjection((raw) => raw.fields.includes("skipped"));
    const malformed = entry("1-1", "CustomerUpdated", { id: "x" }, "skipped");

    const result = projection.applyBatch([updated("1-0", "e1"), malformed, updated("1-2", "skipped")]);

    expect(result).toMatchObject({ position: "1-2", applied: 1, deadLettered: 0, duplicates: 0 });
    expect(count()).toBe(1);
    expect(projectionState(database).deadLetters).toEqual([]);
    expect(projection.entriesRead()).toBe(3);
  });

  test("an entry redriven for another consumer is passed; one redriven for this consumer is applied once", () => {
    const { projection, count, database } = countingProjection();
    const redriven = (streamId: string, eventId: string, consumer: string) => {
      const original = updated(streamId, eventId);
      return { ...original, fields: [...original.fields, "RedrivenFor", consumer] };
    };
    // A malformed entry redriven for another consumer is not this one's to dead-letter either.
    const malformedForOther = entry("1-2", "CustomerUpdated", { id: "x" }, "e9");
    malformedForOther.fields.push("RedrivenFor", "accounts");

    const result = projection.applyBatch([
      redriven("1-0", "e1", "accounts"),
      redriven("1-1", "e2", "counting"),
      malformedForOther,
      redriven("1-3", "e2", "counting"),
    ]);

    expect(result).toMatchObject({ position: "1-3", applied: 1, duplicates: 1, deadLettered: 0 });
    expect(count()).toBe(1);
    expect(projectionState(database).deadLetters).toEqual([]);
    // Passed, not recorded: the event itself, arriving for everyone, is still applied.
    expect(projection.applyBatch([updated("2-0", "e1")])).toMatchObject({ applied: 1 });
  });

  test("more EventIds in a batch than one statement records are all recorded", () => {
    const { projection, count } = countingProjection();
    const batch = Array.from({ length: 250 }, (_, i) => updated(`1-${i}`, `e${i}`));

    expect(projection.applyBatch(batch)).toMatchObject({ applied: 250, duplicates: 0 });
    const replayed = batch.map((original, i) => ({ ...original, id: `2-${i}` }));
    expect(projection.applyBatch(replayed)).toMatchObject({ applied: 0, duplicates: 250 });
    expect(count()).toBe(250);
  });
});
