import { describe, expect, test } from "bun:test";
import {
  applyAndFold,
  customerCreated,
  DELETED_DATE,
  expectFoldAgrees,
  invoiceCreated,
  invoiceDeleted,
  revenueReadModel,
  useRevenueFixtures,
} from "../../support/revenue-fixture";

const { fresh } = useRevenueFixtures();

describe("InvoiceDeleted", () => {
  test("takes the recorded amount (not the payload's) off its customer and account and keeps a tombstone", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 40),
      invoiceDeleted("3-0", 10, 1, 99_999),
    ];

    const result = applyAndFold(state, entries);

    expect(result).toMatchObject({ applied: 4, deadLettered: 0, parked: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 40, 2: 0 },
      customers: { 1: { total: 40, deleted: null } },
      invoices: { 10: { customer: 1, deleted: DELETED_DATE }, 11: { customer: 1, deleted: null } },
    });
  });

  test("a tombstoned invoice id is refused when created again, and refused when deleted again", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceDeleted("3-0", 10, 1, 500),
      invoiceCreated("4-0", 10, 1, 700),
      invoiceDeleted("5-0", 10, 1, 500),
    ];

    applyAndFold(state, entries);

    const model = revenueReadModel(state.database);
    expect(model.deadLetters).toEqual([
      { streamId: "4-0", reason: "invoice 10 was already counted" },
      { streamId: "5-0", reason: "invoice 10 was already deleted" },
    ]);
    expect(model.accounts[1]).toBe(0);
    expect(model.customers[1]?.total).toBe(0);
  });

  test("the same EventId delivered twice deletes once, within a batch and across batches", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 300),
      invoiceDeleted("3-0", 10, 1, 500, "delete-10"),
      invoiceDeleted("3-1", 10, 1, 500, "delete-10"),
    ];
    const first = state.projection.applyBatch(entries);
    const second = state.projection.applyBatch([invoiceDeleted("4-0", 10, 1, 500, "delete-10")]);

    expect(first).toMatchObject({ applied: 4, duplicates: 1, deadLettered: 0 });
    expect(second).toMatchObject({ applied: 0, duplicates: 1, deadLettered: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({ accounts: { 1: 300 }, deadLetters: [] });
  });

  test("naming another customer than the invoice's is dead-lettered and changes no total", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      customerCreated("1-1", 2, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceDeleted("3-0", 10, 2, 500),
    ];

    applyAndFold(state, entries);

    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 500 },
      customers: { 1: { total: 500 }, 2: { total: 0 } },
      invoices: { 10: { deleted: null } },
      deadLetters: [{ streamId: "3-0", reason: "invoice 10 belongs to customer 1, not 2" }],
    });
  });

  test("arriving before its invoice, is parked awaiting invoice:<id> and applied when the invoice comes in a later batch", () => {
    const state = fresh();
    state.projection.applyBatch([customerCreated("1-0", 1, 1), invoiceDeleted("2-0", 10, 1, 500)]);
    expect(revenueReadModel(state.database)).toMatchObject({
      parked: [{ streamId: "2-0", awaiting: "invoice:10" }],
      accounts: { 1: 0 },
    });

    const result = state.projection.applyBatch([
      invoiceCreated("3-0", 10, 1, 500),
      invoiceCreated("3-1", 11, 1, 8),
    ]);

    expect(result).toMatchObject({ applied: 3, parked: 0, deadLettered: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      parked: [],
      accounts: { 1: 8 },
      invoices: { 10: { deleted: DELETED_DATE }, 11: { deleted: null } },
    });
    expectFoldAgrees(state, [
      customerCreated("1-0", 1, 1),
      invoiceDeleted("2-0", 10, 1, 500),
      invoiceCreated("3-0", 10, 1, 500),
      invoiceCreated("3-1", 11, 1, 8),
    ]);
  });

  test("before its invoice, itself before its customer: the customer releases the invoice, the invoice the deletion", () => {
    const state = fresh();
    const entries = [
      invoiceDeleted("1-0", 10, 1, 500),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 1, 60),
      customerCreated("3-0", 1, 1),
    ];

    const result = applyAndFold(state, entries);

    expect(result).toMatchObject({ applied: 4, parked: 3, deadLettered: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      parked: [],
      accounts: { 1: 60 },
      invoices: { 10: { deleted: DELETED_DATE }, 11: { deleted: null } },
    });
  });

  test("whose invoice never comes is dead-lettered after the park timeout of stream time", () => {
    const state = fresh({ parkTimeoutMs: 1000 });
    const entries = [customerCreated("1000-0", 1, 1), invoiceDeleted("1000-1", 10, 1, 500)];
    state.projection.applyBatch(entries);
    const later = [...entries, invoiceCreated("2001-0", 10, 1, 500)];

    state.projection.applyBatch(later.slice(2));

    expectFoldAgrees(state, later, 1000);
    const model = revenueReadModel(state.database);
    expect(model.parked).toEqual([]);
    expect(model.deadLetters).toEqual([
      {
        streamId: "1000-1",
        reason: "deletion of invoice 10, not seen yet; gave up after waiting 1000 ms of stream time",
      },
    ]);
    expect(model.accounts[1]).toBe(500);
  });
});
