import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const users = sqliteTable("users", {
  username: text("username").primaryKey(),
  passwordHash: text("password_hash").notNull(),
  createdAt: text("created_at").notNull(),
});

/** Accounts are owned here; their revenue totals are the read model kept from the stream. */
export const accounts = sqliteTable(
  "accounts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    name: text("name").notNull(),
    description: text("description").notNull(),
    ownedBy: text("owned_by")
      .notNull()
      .references(() => users.username),
    createdDate: text("created_date").notNull(),
    totalRevenueCents: integer("total_revenue_cents").notNull().default(0),
    /** Owned, like the rest of the row (DELETE /accounts/:id): a rebuild copies it, never derives it. */
    deletedDate: text("deleted_date"),
  },
  (table) => [index("accounts_owned_by").on(table.ownedBy)],
);

export const customers = sqliteTable(
  "customers",
  {
    id: integer("id").primaryKey(),
    accountId: integer("account_id")
      .notNull()
      .references(() => accounts.id),
    name: text("name").notNull(),
    totalRevenueCents: integer("total_revenue_cents").notNull().default(0),
    /** A tombstone (from CustomerDeleted): the row stays so the id is never counted again. */
    deletedDate: text("deleted_date"),
  },
  (table) => [index("customers_account_id").on(table.accountId)],
);

export const invoices = sqliteTable("invoices", {
  id: integer("id").primaryKey(),
  customerId: integer("customer_id")
    .notNull()
    .references(() => customers.id),
  purchasePriceCents: integer("purchase_price_cents").notNull(),
  purchaseDate: text("purchase_date").notNull(),
  /** A tombstone (InvoiceDeleted, or its customer's CustomerDeleted): the id stays counted once. */
  deletedDate: text("deleted_date"),
});

/**
 * Refresh tokens, one row each, stored only as a SHA-256 hash. Every refresh replaces the token with a new
 * one of the same family (a login), which expires when the login's first token does; presenting the
 * replaced token again (a stolen copy) revokes the whole family.
 */
export const refreshTokens = sqliteTable(
  "refresh_tokens",
  {
    tokenHash: text("token_hash").primaryKey(),
    familyId: text("family_id").notNull(),
    username: text("username")
      .notNull()
      .references(() => users.username),
    issuedAt: text("issued_at").notNull(),
    expiresAt: text("expires_at").notNull(),
    /** Set when the token was used (replaced) or its family logged out or was revoked. */
    revokedAt: text("revoked_at"),
  },
  (table) => [
    index("refresh_tokens_family").on(table.familyId),
    index("refresh_tokens_user").on(table.username),
  ],
);

export type User = typeof users.$inferSelect;
export type Account = typeof accounts.$inferSelect;
export type Customer = typeof customers.$inferSelect;
export type Invoice = typeof invoices.$inferSelect;
export type NewAccount = Omit<Account, "id" | "totalRevenueCents" | "deletedDate">;
