import { describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { ENTRY_TIME } from "../../support/entries";
import {
  applyAndFold,
  customerCreated,
  customerDeleted,
  DELETED_DATE,
  expectFoldAgrees,
  invoiceCreated,
  revenueReadModel,
  useRevenueFixtures,
} from "../../support/revenue-fixture";

const { fresh, operatorOn } = useRevenueFixtures();

describe("totals added up in memory during a batch", () => {
  test("a read model changed by another connection (a rebuild swapping in) is read afresh, not from memory", () => {
    const state = fresh();
    state.projection.applyBatch([customerCreated("1-0", 1, 1), invoiceCreated("2-0", 10, 1, 500)]);
    const operator = operatorOn(state);
    operator.exec(
      `UPDATE customers SET DELETED_DATE = '${DELETED_DATE}', total_revenue_cents = 0 WHERE id = 1;
       UPDATE accounts SET total_revenue_cents = 0 WHERE id = 1;`,
    );

    const result = state.projection.applyBatch([invoiceCreated("3-0", 11, 1, 700)]);

    expect(result).toMatchObject({ applied: 0, deadLettered: 1 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 0 },
      customers: { 1: { total: 0, deleted: DELETED_DATE } },
      deadLetters: [{ streamId: "3-0", reason: "customer 1 was deleted" }],
    });
  });

  test("an attempt that failed half way leaves nothing in memory: totals it added are not counted again", () => {
    const state = fresh();
    const operator = operatorOn(state);
    // Fails while a user named "fail" exists, switched on the projection's own connection, so that
    // SQLite's data_version (which tells of other connections' writes) does not change between attempts.
    operator.exec(
      `CREATE TRIGGER refuse_invoice BEFORE INSERT ON invoices
         WHEN NEW.id = 12 AND (SELECT count(*) FROM users WHERE username = 'fail') > 0
         BEGIN SELECT RAISE(ABORT, 'disk trouble'); END`,
    );
    state.projection.applyBatch([customerCreated("1-0", 1, 1), invoiceCreated("1-1", 10, 1, 500)]);
    const failing = (on: boolean) =>
      state.database.db.run(
        on
          ? sql`INSERT INTO users VALUES ('fail', 'x', ${ENTRY_TIME})`
          : sql`DELETE FROM users WHERE username = 'fail'`,
      );
    const batch = [
      invoiceCreated("3-0", 11, 1, 300),
      invoiceCreated("3-1", 12, 1, 20),
      customerDeleted("4-0", 1, 1),
    ];

    failing(true);
    expect(() => state.projection.applyBatch(batch)).toThrow("disk trouble");
    failing(false);

    expect(state.projection.applyBatch(batch)).toMatchObject({ applied: 3, deadLettered: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 0 },
      customers: { 1: { total: 0, deleted: DELETED_DATE } },
      deadLetters: [],
    });
  });

  test("a batch touching more customers than one bulk statement holds writes every customer's and account's total", () => {
    const state = fresh();
    const customerIds = Array.from({ length: 250 }, (_, index) => index + 1);
    const created = customerIds.map((id) => customerCreated(`1-${id}`, id, 1 + (id % 2)));
    state.projection.applyBatch(created);
    // Two invoices per customer in one batch, in an order unlike the customers', with amounts of their own.
    const invoicing = customerIds.flatMap((id) => [
      invoiceCreated(`2-${id}`, 1000 + id, customerIds.length + 1 - id, id * 7),
      invoiceCreated(`3-${id}`, 2000 + id, id, 1 + (id % 13)),
    ]);

    expect(state.projection.applyBatch(invoicing)).toMatchObject({ applied: 500, deadLettered: 0 });
    expectFoldAgrees(state, [...created, ...invoicing]);
    const model = revenueReadModel(state.database);
    expect(model.customers[1]).toMatchObject({ total: 250 * 7 + 2 });
    expect(model.customers[250]).toMatchObject({ total: 7 + 1 + (250 % 13) });
  });

  test("a customer deleted after invoices in the same batch takes them all off its account", () => {
    const state = fresh();
    const entries = [
      customerCreated("1-0", 1, 1),
      customerCreated("1-1", 2, 1),
      invoiceCreated("2-0", 10, 1, 500),
      invoiceCreated("2-1", 11, 2, 40),
      invoiceCreated("2-2", 12, 1, 7),
      customerDeleted("3-0", 1, 1),
      invoiceCreated("4-0", 13, 2, 3),
    ];

    expect(applyAndFold(state, entries)).toMatchObject({ applied: 7, deadLettered: 0, parked: 0 });
    expect(revenueReadModel(state.database)).toMatchObject({
      accounts: { 1: 43 },
      customers: { 1: { total: 0, deleted: DELETED_DATE }, 2: { total: 43, deleted: null } },
    });
  });
});
