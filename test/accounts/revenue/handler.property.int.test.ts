import { describe, expect, test } from "bun:test";
import { asc, eq, isNotNull } from "drizzle-orm";
import fc from "fast-check";
import { ACCOUNTS_PROJECTION } from "../../../accounts/revenue/handler";
import { accounts, customers, invoices } from "../../../accounts/tables";
import { compareStreamIds } from "../../../shared/events/stream-contract";
import { deadLetters, parkedEntries } from "../../../shared/projection/tables";
import type { SqliteDatabase } from "../../../shared/sqlite/db";
import { ENTRY_TIME } from "../../support/entries";
import { testSeed } from "../../support/random";
import { freshRevenueFixture, type RevenueFixture } from "../../support/revenue-fixture";
import { type FoldedRevenue, foldRevenue } from "../../support/revenue-fold";
import {
  batchesOf,
  cuts,
  json,
  PARK_TIMEOUT_MS,
  replayed,
  START_MS,
  steps,
  streamOf,
} from "../../support/revenue-streams";

const created_date = ENTRY_TIME;
const SEED = testSeed(20261124);
const NUM_RUNS = Number(process.env.PROPERTY_RUNS) || 60;

/** Runs `check` on `count` fresh accounts databases (users 1-3 owning accounts 1-3), then removes them. */
function withFreshDatabases(
  count: number,
  parkTimeoutMs: number | undefined,
  check: (fixtures: RevenueFixture[]) => void,
) {
  const fixtures: RevenueFixture[] = [];
  try {
    for (let index = 0; index < count; index++)
      fixtures.push(freshRevenueFixture({ accounts: 3, parkTimeoutMs }));
    check(fixtures);
  } finally {
    for (const fixture of fixtures) fixture.remove();
  }
}

type Model = {
  customers: Record<string, { accountId: number; name: string; total: number }>;
  accountTotals: Record<string, number>;
  invoices: number[];
  deletedCustomers: number[];
  deletedInvoices: number[];
  deadLetters: string[];
  parked: string[];
};

const byStreamId = (ids: string[]) => [...ids].sort(compareStreamIds);

function modelOf({ db }: SqliteDatabase): Model {
  const consumerIs = (column: typeof deadLetters.consumer | typeof parkedEntries.consumer) =>
    eq(column, ACCOUNTS_PROJECTION);
  return {
    customers: Object.fromEntries(
      db
        .select()
        .from(customers)
        .all()
        .map((row) => [row.id, { accountId: row.accountId, name: row.name, total: row.totalRevenueCents }]),
    ),
    accountTotals: Object.fromEntries(
      db
        .select()
        .from(accounts)
        .all()
        .map((row) => [row.id, row.totalRevenueCents]),
    ),
    invoices: db
      .select({ id: invoices.id })
      .from(invoices)
      .orderBy(asc(invoices.id))
      .all()
      .map((row) => row.id),
    deletedCustomers: db
      .select({ id: customers.id })
      .from(customers)
      .where(isNotNull(customers.deletedDate))
      .orderBy(asc(customers.id))
      .all()
      .map((row) => row.id),
    deletedInvoices: db
      .select({ id: invoices.id })
      .from(invoices)
      .where(isNotNull(invoices.deletedDate))
      .orderBy(asc(invoices.id))
      .all()
      .map((row) => row.id),
    deadLetters: byStreamId(
      db
        .select({ streamId: deadLetters.streamId })
        .from(deadLetters)
        .where(consumerIs(deadLetters.consumer))
        .all()
        .map((row) => row.streamId),
    ),
    parked: byStreamId(
      db
        .select({ streamId: parkedEntries.streamId })
        .from(parkedEntries)
        .where(consumerIs(parkedEntries.consumer))
        .all()
        .map((row) => row.streamId),
    ),
  };
}

function modelOfFold(folded: FoldedRevenue): Model {
  return {
    customers: Object.fromEntries([...folded.customers].map(([id, customer]) => [id, { ...customer }])),
    accountTotals: Object.fromEntries(folded.accountTotals),
    invoices: [...folded.invoices].sort((a, b) => a - b),
    deletedCustomers: [...folded.deletedCustomers].sort((a, b) => a - b),
    deletedInvoices: [...folded.deletedInvoices].sort((a, b) => a - b),
    deadLetters: byStreamId(folded.deadLetters),
    parked: byStreamId(folded.parked),
  };
}

const revenueOf = ({ customers, accountTotals, invoices, deletedCustomers, deletedInvoices }: Model) => ({
  customers,
  accountTotals,
  invoices,
  deletedCustomers,
  deletedInvoices,
});

describe("the revenue read model, over random streams", () => {
  test("is the same applied in random batches, in one batch, and folded without a database", () => {
    fc.assert(
      fc.property(steps, cuts, (drawn, at) => {
        const entries = streamOf(drawn, "as drawn");
        withFreshDatabases(2, PARK_TIMEOUT_MS, ([split, whole]) => {
          if (!split || !whole) throw new Error("two databases expected");
          for (const batch of batchesOf(entries, at)) split.projection.applyBatch(batch);
          whole.projection.applyBatch(entries);

          const folded = foldRevenue(whole.accountIds, entries, { parkTimeoutMs: PARK_TIMEOUT_MS });
          expect(modelOf(split.database)).toEqual(modelOf(whole.database));
          expect(modelOf(whole.database)).toEqual(modelOfFold(folded));
        });
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  }, 60_000);

  // Under the default park timeout (5 minutes) nothing expires: a stream spans at most 40 × 3 s, twice that
  // replayed. With expiry a dead-lettered invoice can be applied by its second delivery: see the last test.
  test("when every entry carries an EventId, holds the same revenue after the stream is replayed twice as once", () => {
    fc.assert(
      fc.property(steps, (drawn) => {
        const once = streamOf(drawn, "always");
        const twice = [...once, ...replayed(once)];
        withFreshDatabases(2, undefined, ([first, second]) => {
          if (!first || !second) throw new Error("two databases expected");
          first.projection.applyBatch(once);
          second.projection.applyBatch(twice);

          expect(revenueOf(modelOf(second.database))).toEqual(revenueOf(modelOf(first.database)));
          expect(modelOf(second.database)).toEqual(modelOfFold(foldRevenue(second.accountIds, twice)));
        });
      }),
      { seed: SEED, numRuns: NUM_RUNS },
    );
  }, 60_000);
});

describe("edge cases the generator rarely draws", () => {
  const invoice = (id: string, customerId: string) =>
    json("InvoiceCreated", {
      id,
      customer_id: customerId,
      purchase_price_cents: 100,
      purchase_date: "2019-01-06",
      created_date,
    });
  const customer = (id: string) => json("CustomerCreated", { id, account_id: "1", name: "", created_date });

  test("parked invoices of one millisecond are released in stream order, 1000-9 before 1000-10", () => {
    const entries = [
      { id: "1000-9", fields: invoice("7", "5") },
      { id: "1000-10", fields: invoice("7", "5") },
      { id: "1500-0", fields: customer("5") },
    ];
    withFreshDatabases(1, PARK_TIMEOUT_MS, ([fresh]) => {
      if (!fresh) throw new Error("a database expected");
      fresh.projection.applyBatch(entries);
      const folded = foldRevenue(fresh.accountIds, entries, { parkTimeoutMs: PARK_TIMEOUT_MS });
      expect(modelOf(fresh.database)).toEqual(modelOfFold(folded));
      expect(modelOf(fresh.database).deadLetters).toEqual(["1000-10"]);
    });
  });

  // Documented behaviour: a dead letter's EventId is not recorded as applied (so `ops dlq redrive` can
  // apply it later); a second delivery after its customer exists is therefore applied, once.
  test("an invoice given up on is applied, once, when delivered again after its customer exists", () => {
    const once = [
      { id: `${START_MS + 1}-0`, fields: [...invoice("1", "3"), "EventId", "invoice-1"] },
      { id: `${START_MS + 1003}-0`, fields: [...customer("3"), "EventId", "customer-3"] },
    ];
    withFreshDatabases(2, PARK_TIMEOUT_MS, ([first, second]) => {
      if (!first || !second) throw new Error("two databases expected");
      first.projection.applyBatch(once);
      second.projection.applyBatch([...once, ...replayed(once)]);
      expect(modelOf(first.database).invoices).toEqual([]);
      expect(modelOf(second.database).invoices).toEqual([1]);
    });
  });
});
