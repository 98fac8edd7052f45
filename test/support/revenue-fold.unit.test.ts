import { describe, expect, test } from "bun:test";
import {
  customerDeletedEntry,
  customerEntry,
  customerUpdatedEntry,
  ENTRY_TIME,
  entry,
  invoiceDeletedEntry,
  invoiceEntry,
} from "./entries";
import { foldRevenue } from "./revenue-fold";

const created_date = ENTRY_TIME;

describe("foldRevenue", () => {
  test("adds each invoice to its customer's and its account's totals; AccountCreated changes nothing", () => {
    const model = foldRevenue(
      [1, 2],
      [
        entry("1-0", "AccountCreated", { id: "3", name: "x", description: "", owned_by: "u", created_date }),
        customerEntry("2-0", 1, 1),
        customerEntry("2-1", 2, 2),
        invoiceEntry("3-0", 10, 1, 500),
        invoiceEntry("3-1", 11, 1, 40),
        invoiceEntry("4-0", 12, 2, 7),
      ],
    );

    expect(Object.fromEntries(model.customers)).toEqual({
      1: { accountId: 1, name: "Customer 1", total: 540 },
      2: { accountId: 2, name: "Customer 2", total: 7 },
    });
    expect(Object.fromEntries(model.accountTotals)).toEqual({ 1: 540, 2: 7 });
    expect([...model.invoices]).toEqual([10, 11, 12]);
    expect(model).toMatchObject({ deadLetters: [], parked: [] });
  });

  test("when an invoice comes before its customer, it is parked and counted when the customer arrives", () => {
    const before = foldRevenue(
      [1],
      [invoiceEntry("1000-0", 10, 5, 900, "e-1"), customerEntry("1500-0", 1, 1)],
      {
        parkTimeoutMs: 1000,
      },
    );
    expect(before).toMatchObject({ parked: ["1000-0"], deadLetters: [], invoices: new Set() });

    const after = foldRevenue(
      [1],
      [
        invoiceEntry("1000-0", 10, 5, 900, "e-1"),
        customerEntry("1500-0", 1, 1),
        customerEntry("2000-0", 5, 1),
      ],
      { parkTimeoutMs: 1000 },
    );
    expect(after).toMatchObject({ parked: [], deadLetters: [], invoices: new Set([10]) });
    expect(after.customers.get(5)?.total).toBe(900);
    expect(after.accountTotals.get(1)).toBe(900);
  });

  test("a parked invoice is dead-lettered by the first entry more than parkTimeoutMs of stream time later, before that entry applies", () => {
    const model = foldRevenue([1], [invoiceEntry("1000-0", 10, 5, 900), customerEntry("2001-0", 5, 1)], {
      parkTimeoutMs: 1000,
    });

    expect(model).toMatchObject({ parked: [], deadLetters: ["1000-0"], invoices: new Set() });
    expect(model.customers.get(5)?.total).toBe(0);
  });

  test("an entry whose EventId was already applied is skipped; one whose first copy was rejected is not", () => {
    const model = foldRevenue(
      [1],
      [
        customerEntry("1-0", 1, 1, "c-1"),
        invoiceEntry("2-0", 10, 1, 500, "i-1"),
        invoiceEntry("3-0", 10, 1, 500, "i-1"),
        customerEntry("4-0", 2, 9, "c-2"),
        customerEntry("5-0", 2, 9, "c-2"),
      ],
    );

    expect(model.customers.get(1)?.total).toBe(500);
    expect(model.deadLetters).toEqual(["4-0", "5-0"]);
  });

  test("poison entries, unknown accounts, taken customer ids and counted invoice ids are dead-lettered", () => {
    const model = foldRevenue(
      [1],
      [
        customerEntry("1-0", 1, 1),
        { id: "2-0", fields: ["EventTypeName", "InvoiceCreated", "Payload", "{not json"] },
        { id: "3-0", fields: ["EventTypeName", "CustomerDeleted", "Payload", "{}"] },
        invoiceEntry("4-0", 10, 1, -5),
        customerEntry("5-0", 2, 7),
        customerEntry("6-0", 1, 1),
        invoiceEntry("7-0", 10, 1, 300),
        invoiceEntry("8-0", 10, 1, 300),
      ],
    );

    expect(model.deadLetters).toEqual(["2-0", "3-0", "4-0", "5-0", "6-0", "8-0"]);
    expect(model.customers.get(1)?.total).toBe(300);
    expect([...model.customers.keys()]).toEqual([1]);
  });

  test("an invoice deletion takes the counted amount off; a customer deletion its whole total; both keep tombstones", () => {
    const model = foldRevenue(
      [1, 2],
      [
        customerEntry("1-0", 1, 1),
        customerEntry("1-1", 2, 1),
        invoiceEntry("2-0", 10, 1, 500),
        invoiceEntry("2-1", 11, 1, 40),
        invoiceEntry("2-2", 12, 2, 7),
        invoiceDeletedEntry("3-0", 10, 1, 1),
        customerUpdatedEntry("3-1", 2, 1, "Renamed"),
        customerDeletedEntry("4-0", 1, 1),
        invoiceEntry("5-0", 13, 1, 9),
        invoiceEntry("5-1", 10, 2, 9),
        customerEntry("5-2", 1, 1),
        invoiceDeletedEntry("5-3", 11, 1, 40),
      ],
    );

    expect(Object.fromEntries(model.customers)).toEqual({
      1: { accountId: 1, name: "Customer 1", total: 0 },
      2: { accountId: 1, name: "Renamed", total: 7 },
    });
    expect(Object.fromEntries(model.accountTotals)).toEqual({ 1: 7, 2: 0 });
    expect(model.deletedCustomers).toEqual(new Set([1]));
    expect(model.deletedInvoices).toEqual(new Set([10, 11]));
    expect(model.deadLetters).toEqual(["5-0", "5-1", "5-2", "5-3"]);
  });

  test("deletions and renames that come before their target are parked, released by it in stream order", () => {
    const model = foldRevenue(
      [1],
      [
        invoiceDeletedEntry("1-0", 10, 1, 500),
        invoiceEntry("2-0", 10, 1, 500),
        customerUpdatedEntry("2-1", 1, 1, "Early"),
        invoiceEntry("2-2", 11, 1, 30),
        customerEntry("3-0", 1, 1),
        customerDeletedEntry("4-0", 2, 1),
      ],
    );

    expect(model.parked).toEqual(["4-0"]);
    expect(model.deadLetters).toEqual([]);
    expect(model.customers.get(1)).toEqual({ accountId: 1, name: "Early", total: 30 });
    expect(model.deletedInvoices).toEqual(new Set([10]));
    expect(model.accountTotals.get(1)).toBe(30);
  });

  test("AccountDeleted is passed, even malformed; deletions naming the wrong customer or account are dead-lettered", () => {
    const model = foldRevenue(
      [1, 2],
      [
        customerEntry("1-0", 1, 1),
        invoiceEntry("2-0", 10, 1, 500),
        entry("3-0", "AccountDeleted", { id: "1", owned_by: "u", deleted_date: created_date }),
        entry("3-1", "AccountDeleted", { id: "x" }),
        invoiceDeletedEntry("4-0", 10, 2, 500),
        customerDeletedEntry("4-1", 1, 2),
        customerUpdatedEntry("4-2", 1, 2, "Moved"),
      ],
    );

    expect(model.deadLetters).toEqual(["4-0", "4-1", "4-2"]);
    expect(model.accountTotals.get(1)).toBe(500);
    expect(model.customers.get(1)).toEqual({ accountId: 1, name: "Customer 1", total: 500 });
  });
});
