import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

/** Accounts as customers knows them: learnt from AccountCreated events, never asked of the accounts service. */
export const knownAccounts = sqliteTable("known_accounts", {
  id: integer("id").primaryKey(),
  name: text("name").notNull(),
  ownedBy: text("owned_by").notNull(),
  createdDate: text("created_date").notNull(),
  /** Set from AccountDeleted: no new customers on this account. */
  deletedDate: text("deleted_date"),
});

export const customers = sqliteTable(
  "customers",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    accountId: integer("account_id")
      .notNull()
      .references(() => knownAccounts.id),
    name: text("name").notNull(),
    createdDate: text("created_date").notNull(),
  },
  (table) => [index("customers_account_id").on(table.accountId)],
);

export const invoices = sqliteTable(
  "invoices",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    customerId: integer("customer_id")
      .notNull()
      .references(() => customers.id),
    purchaseDate: text("purchase_date").notNull(),
    purchasePriceCents: integer("purchase_price_cents").notNull(),
    currency: text("currency").notNull().default("USD"),
    createdDate: text("created_date").notNull(),
  },
  (table) => [index("invoices_customer_id").on(table.customerId)],
);

export type KnownAccount = typeof knownAccounts.$inferSelect;
export type Customer = typeof customers.$inferSelect;
export type Invoice = typeof invoices.$inferSelect;
