import { describe, expect, test } from "bun:test";
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { READ_MODEL_TABLES, rebuildColumnsOf } from "../../../accounts/revenue/rebuild-columns";

describe("the rebuild's column lists, derived from the drizzle tables", () => {
  test("from accounts' tables: the lists the rebuild has always copied and compared", () => {
    const columns = rebuildColumnsOf();

    expect(columns.users).toEqual({ table: "users", columns: ["username", "password_hash", "created_at"] });
    expect(columns.accounts).toEqual({
      table: "accounts",
      key: "id",
      owned: ["id", "name", "description", "owned_by", "created_date", "deleted_date"],
      derived: ["total_revenue_cents"],
      defaults: [0],
    });
    expect(columns.whole).toEqual([
      { table: "customers", columns: ["id", "account_id", "name", "total_revenue_cents", "deleted_date"] },
      {
        table: "invoices",
        columns: ["id", "customer_id", "purchase_price_cents", "purchase_date", "deleted_date"],
      },
      { table: "processed_events", columns: ["event_id", "stream_id"] },
    ]);
    expect(columns.consumerRows).toEqual([
      {
        table: "dead_letters",
        consumerColumn: "consumer",
        copied: ["consumer", "stream_id", "reason", "fields", "recorded_at"],
        compared: ["stream_id", "reason"],
      },
      {
        table: "parked_entries",
        consumerColumn: "consumer",
        copied: ["consumer", "stream_id", "awaiting", "reason", "fields", "parked_at_ms"],
        compared: ["stream_id", "awaiting"],
      },
    ]);
  });

  test("a column added to a shared table is copied and compared unless it is named as left out", () => {
    const parkedWithPriority = sqliteTable(
      "parked_entries",
      {
        consumer: text("consumer").notNull(),
        streamId: text("stream_id").notNull(),
        awaiting: text("awaiting").notNull(),
        priority: integer("priority").notNull(),
      },
      (table) => [primaryKey({ columns: [table.consumer, table.streamId] })],
    );

    const columns = rebuildColumnsOf({ ...READ_MODEL_TABLES, parkedEntries: parkedWithPriority });

    expect(columns.consumerRows[1]).toEqual({
      table: "parked_entries",
      consumerColumn: "consumer",
      copied: ["consumer", "stream_id", "awaiting", "priority"],
      compared: ["stream_id", "awaiting", "priority"],
    });
  });

  test("an account's column added to the table is owned: copied from live, never derived", () => {
    const accountsWithRegion = sqliteTable("accounts", {
      id: integer("id").primaryKey(),
      name: text("name").notNull(),
      totalRevenueCents: integer("total_revenue_cents").notNull().default(0),
      region: text("region"),
    });

    const { accounts } = rebuildColumnsOf({ ...READ_MODEL_TABLES, accounts: accountsWithRegion });

    expect(accounts.owned).toEqual(["id", "name", "region"]);
    expect(accounts.derived).toEqual(["total_revenue_cents"]);
  });
});
