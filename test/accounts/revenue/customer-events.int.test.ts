import { describe, expect, test } from "bun:test";
import { createAccountsStore } from "../../../accounts/store";
import {
  accountDeleted,
  applyAndFold,
  customerCreated,
  customerDeleted,
  customerUpdated,
  DELETED_DATE,
  expectFoldAgrees,
  identifiedEntry,
  invoiceCreated,
  invoiceDeleted,
  revenueReadModel,
  useRevenueFixtures,
} from "../../support/revenue-fixture";

const { fresh, operatorOn } = useRevenueFixtures();

describe("CustomerDeleted", () => {
  test("takes the customer's whole total off its account and tombstones it and its invoices", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      customerCreated("1-1", 2, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 40),
      invoiceCreated("2-2", 12, 2, 7),
      invoiceDeleted("3-0", 11, 1, 40),
      customerDeleted("4-0", 1, 1),
    ];

    const result = applyAndFold(state, entries);

    expect(result).toMatchObject({ applied: 7, deadLettered: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 7 },
      customers: { 1: { total: 0, deleted: DELETED_DATE }, 2: { total: 7, deleted: null } },
      invoices: {
        10: { deleted: DELETED_DATE },
        11: { deleted: DELETED_DATE },
        12: { deleted: null },
      },
    });
    // What GET /accounts reads: the deleted customer is gone.
    const shown = createAccountsStore(state.database.db).customersOf([1]);
    expect(shown.map((customer) => customer.id)).toEqual([2]);
  });

  test("afterwards, its invoices, its id, a rename, a second deletion and its invoices' deletions are all refused", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerDeleted("3-0", 1, 1),
      invoiceCreated("4-0", 11, 1, 300),
      customerCreated("4-1", 1, 1),
      customerUpdated("4-2", 1, 1, "Back again"),
      customerDeleted("4-3", 1, 1),
      invoiceDeleted("4-4", 10, 1, 500),
    ];

    applyAndFold(state, entries);

    const model = revenueReadModel(state.database);
    expect(model.deadLetters).toEqual([
      { streamId: "4-0", reason: "customer 1 was deleted" },
      { streamId: "4-1", reason: "customer 1 already exists" },
      { streamId: "4-2", reason: "customer 1 was deleted" },
      { streamId: "4-3", reason: "customer 1 was deleted" },
      { streamId: "4-4", reason: "invoice 10 was already deleted" },
    ]);
    expect(model.accounts[1]).toBe(0);
    expect(model.invoices[11]).toBeUndefined();
  });

  test("naming another account than the customer's is dead-lettered and changes nothing", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerDeleted("3-0", 1, 2),
    ];

    applyAndFold(state, entries);

    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 500, 2: 0 },
      customers: { 1: { total: 500, deleted: null } },
      deadLetters: [{ streamId: "3-0", reason: "customer 1 belongs to account 1, not 2" }],
    });
  });

  test("arriving before its customer, is parked awaiting customer:<id> and released with the invoices in stream order", () => {
    const state = fresh();
    // The invoice parked before the deletion is counted then deleted; the one parked after is refused.
    const entries = [
      invoiceCreated("1-0", 10, 1, 500),
      customerDeleted("2-0", 1, 1),
      invoiceCreated("3-0", 11, 1, 40),
      customerCreated("4-0", 1, 1),
    ];

    state.projection.applyBatch(entries.slice(0, 3));
    expect(revenueReadModel(state.database).parked).toEqual([
      { streamId: "1-0", awaiting: "customer:1" },
      { streamId: "2-0", awaiting: "customer:1" },
      { streamId: "3-0", awaiting: "customer:1" },
    ]);
    state.projection.applyBatch(entries.slice(3));

    expectFoldAgrees(state, entries);
    expect(revenueReadModel(state.database)).toMatchObject({
      parked: [],
      accounts: { 1: 0 },
      customers: { 1: { deleted: DELETED_DATE, total: 0 } },
      invoices: { 10: { deleted: DELETED_DATE } },
      deadLetters: [{ streamId: "3-0", reason: "customer 1 was deleted" }],
    });
  });

  test("that fails half way (SQLite refuses a write) leaves nothing behind, and applies in full when retried", () => {
    const state = fresh();
    const setup = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 5),
    ];
    state.projection.applyBatch(setup);
    const before = revenueReadModel(state.database);
    const operator = operatorOn(state);
    // The invoices are tombstoned first; then the customer's own update fails.
    operator.exec(
      "CREATE TRIGGER refuse_customer_delete BEFORE UPDATE OF DELETED_DATE ON customers BEGIN SELECT RAISE(ABORT, 'disk trouble'); END",
    );
    const batch = [
      invoiceDeleted("3-0", 11, 1, 5),
      customerDeleted("4-0", 1, 1),
      invoiceDeleted("5-0", 12, 1, 1),
    ];

    expect(() => state.projection.applyBatch(batch)).toThrow("disk trouble");

    expect(state.projection.position()).toBe("2-1");
    expect(revenueReadModel(state.database)).toEqual(before);

    operator.exec("DROP TRIGGER refuse_customer_delete");
    expect(state.projection.applyBatch(batch)).toMatchObject({ applied: 2, parked: 1, deadLettered: 0 });
    expectFoldAgrees(state, [...setup, ...batch]);
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 0 },
      invoices: { 10: { deleted: DELETED_DATE }, 11: { deleted: DELETED_DATE } },
      parked: [{ streamId: "5-0", awaiting: "invoice:12" }],
    });
  });
});

describe("CustomerUpdated", () => {
  test("renames the customer and keeps its totals", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      customerUpdated("3-0", 1, 1, "Abigail"),
    ];

    applyAndFold(state, entries);

    expect(revenueReadModel(state.database).customers).toEqual({
      1: { name: "Abigail", total: 500, deleted: null },
    });
  });

  test("arriving before its customer, is parked and applied when it comes; naming another account is refused", () => {
    const state = fresh();
    const entries = [
      customerUpdated("1-0", 1, 1, "Renamed"),
      customerCreated("2-0", 1, 1),
      customerUpdated("3-0", 1, 2, "Moved"),
    ];

    state.projection.applyBatch(entries.slice(0, 1));
    expect(revenueReadModel(state.database).parked).toEqual([{ streamId: "1-0", awaiting: "customer:1" }]);
    state.projection.applyBatch(entries.slice(1));

    expectFoldAgrees(state, entries);
    expect(revenueReadModel(state.database)).toMatchObject({
      customers: { 1: { name: "Renamed" } },
      parked: [],
      deadLetters: [{ streamId: "3-0", reason: "customer 1 belongs to account 1, not 2" }],
    });
  });
});

describe("AccountDeleted on the stream", () => {
  test("is passed by the projection: it moves the checkpoint, applies nothing and dead-letters nothing", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      accountDeleted("2-0", 1),
      invoiceCreated("3-0", 10, 1, 500),
      // Malformed, but not ours to judge.
      identifiedEntry("4-0", "AccountDeleted", { id: "x" }),
    ];

    const result = applyAndFold(state, entries);

    expect(result).toMatchObject({ position: "4-0", applied: 2, deadLettered: 0, parked: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 500 },
      deadLetters: [],
      processed: 2,
    });
  });
});
