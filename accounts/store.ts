import { asc, eq, inArray, sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "../shared/db";
import { commitOnce, type IdempotencyKey, type StoredReply } from "../shared/idempotency";
import { appendToOutbox } from "../shared/outbox";
import type { EventEnvelope } from "../shared/wire";

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
});

export type User = typeof users.$inferSelect;
export type Account = typeof accounts.$inferSelect;
export type Customer = typeof customers.$inferSelect;
export type NewAccount = Omit<Account, "id" | "totalRevenueCents">;

export type AccountsStore = ReturnType<typeof createAccountsStore>;

export function createAccountsStore(db: Db) {
  return {
    findUser(username: string): User | undefined {
      return db.select().from(users).where(eq(users.username, username)).get();
    },

    addUser(user: User): void {
      db.insert(users).values(user).run();
    },

    /** Replaces a user's password hash; false when there is no such user. */
    setPasswordHash(username: string, passwordHash: string): boolean {
      const changed = db
        .update(users)
        .set({ passwordHash })
        .where(eq(users.username, username))
        .returning({ username: users.username })
        .all();
      return changed.length > 0;
    },

    hasUsers(): boolean {
      return db.select({ username: users.username }).from(users).limit(1).get() !== undefined;
    },

    findAccount(id: number): Account | undefined {
      return db.select().from(accounts).where(eq(accounts.id, id)).get();
    },

    accountsOwnedBy(username: string): Account[] {
      return db.select().from(accounts).where(eq(accounts.ownedBy, username)).orderBy(asc(accounts.id)).all();
    },

    customersOf(accountIds: number[]): Customer[] {
      if (accountIds.length === 0) return [];
      return db
        .select()
        .from(customers)
        .where(inArray(customers.accountId, accountIds))
        .orderBy(asc(customers.id))
        .all();
    },

    /** Runs a write, its events and its idempotency record in one transaction (see commitOnce). */
    commit(key: IdempotencyKey | null, now: Date, write: (tx: Db) => StoredReply) {
      return commitOnce(db, key, now, write);
    },

    /** Creates users and their first accounts, with the accounts' events, all or nothing. */
    addUsersWithAccounts(
      entries: { user: User; account: NewAccount }[],
      describe: (account: Account) => EventEnvelope,
    ): void {
      db.transaction(
        (tx) => {
          for (const { user, account } of entries) {
            tx.insert(users).values(user).run();
            appendToOutbox(tx, describe(insertAccount(tx, account)));
          }
        },
        { behavior: "immediate" },
      );
    },
  };
}

export function insertAccount(tx: Db, values: NewAccount): Account {
  return tx.insert(accounts).values(values).returning().get();
}

/** Read-model writes, called by the consumer inside its batch transaction. */
export const readModel = {
  accountExists(tx: Db, id: number): boolean {
    return tx.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id)).get() !== undefined;
  },

  findCustomer(tx: Db, id: number): Customer | undefined {
    return tx.select().from(customers).where(eq(customers.id, id)).get();
  },

  invoiceExists(tx: Db, id: number): boolean {
    return tx.select({ id: invoices.id }).from(invoices).where(eq(invoices.id, id)).get() !== undefined;
  },

  addCustomer(tx: Db, customer: { id: number; accountId: number; name: string }): void {
    tx.insert(customers).values(customer).run();
  },

  /** Records an invoice and adds its amount to its customer's and its account's totals. */
  addInvoice(tx: Db, invoice: typeof invoices.$inferInsert, accountId: number): void {
    tx.insert(invoices).values(invoice).run();
    const amount = invoice.purchasePriceCents;
    tx.update(customers)
      .set({ totalRevenueCents: sql`${customers.totalRevenueCents} + ${amount}` })
      .where(eq(customers.id, invoice.customerId))
      .run();
    tx.update(accounts)
      .set({ totalRevenueCents: sql`${accounts.totalRevenueCents} + ${amount}` })
      .where(eq(accounts.id, accountId))
      .run();
  },
};
