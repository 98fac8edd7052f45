import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { changesOf, type Db } from "../shared/db";
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

export type User = typeof users.$inferSelect;
export type Account = typeof accounts.$inferSelect;
export type Customer = typeof customers.$inferSelect;
export type Invoice = typeof invoices.$inferSelect;
export type NewAccount = Omit<Account, "id" | "totalRevenueCents" | "deletedDate">;

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

    /** A live account; a deleted one is gone as far as the API is concerned. */
    findAccount(id: number): Account | undefined {
      return findLiveAccount(db, id);
    },

    accountsOwnedBy(username: string): Account[] {
      return db
        .select()
        .from(accounts)
        .where(and(eq(accounts.ownedBy, username), isNull(accounts.deletedDate)))
        .orderBy(asc(accounts.id))
        .all();
    },

    /** The customers (not deleted) of these accounts, by id. */
    customersOf(accountIds: number[]): Customer[] {
      if (accountIds.length === 0) return [];
      return db
        .select()
        .from(customers)
        .where(and(inArray(customers.accountId, accountIds), isNull(customers.deletedDate)))
        .orderBy(asc(customers.id))
        .all();
    },

    /** Up to `limit` customers (not deleted) of an account with ids above `after`, by id. */
    customersPage(accountId: number, limit: number, after: number | undefined): Customer[] {
      return db
        .select()
        .from(customers)
        .where(
          and(
            eq(customers.accountId, accountId),
            isNull(customers.deletedDate),
            after === undefined ? undefined : gt(customers.id, after),
          ),
        )
        .orderBy(asc(customers.id))
        .limit(limit)
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

export function findLiveAccount(tx: Db, id: number): Account | undefined {
  return tx
    .select()
    .from(accounts)
    .where(and(eq(accounts.id, id), isNull(accounts.deletedDate)))
    .get();
}

/** How many accounts, not deleted, `username` owns. */
export function countLiveAccountsOf(tx: Db, username: string): number {
  const row = tx
    .select({ n: sql<number>`count(*)` })
    .from(accounts)
    .where(and(eq(accounts.ownedBy, username), isNull(accounts.deletedDate)))
    .get();
  return row?.n ?? 0;
}

/** Whether the read model holds customers of the account that are not deleted. */
export function hasLiveCustomers(tx: Db, accountId: number): boolean {
  const row = tx
    .select({ id: customers.id })
    .from(customers)
    .where(and(eq(customers.accountId, accountId), isNull(customers.deletedDate)))
    .limit(1)
    .get();
  return row !== undefined;
}

export function markAccountDeleted(tx: Db, id: number, deletedDate: string): Account {
  return tx.update(accounts).set({ deletedDate }).where(eq(accounts.id, id)).returning().get() as Account;
}

export type ReadModel = ReturnType<typeof createReadModel>;

/**
 * Read-model reads and writes for the consumer, prepared once on `db`; they run inside its batch
 * transaction because they use the same connection.
 */
export function createReadModel(db: Db) {
  const id = sql.placeholder("id");
  const amount = sql.placeholder("amount");
  // An update's SET takes a placeholder only wrapped in sql``.
  const deletedDate = sql`${sql.placeholder("deletedDate")}`;
  const accountId = sql.placeholder("accountId");
  const customerId = sql.placeholder("customerId");
  const statements = {
    accountExists: db.select({ id: accounts.id }).from(accounts).where(eq(accounts.id, id)).prepare(),
    findCustomer: db.select().from(customers).where(eq(customers.id, id)).prepare(),
    findInvoice: db.select().from(invoices).where(eq(invoices.id, id)).prepare(),
    addCustomer: db
      .insert(customers)
      .values({ id, accountId, name: sql.placeholder("name") })
      .prepare(),
    addInvoice: db
      .insert(invoices)
      .values({
        id,
        customerId,
        purchasePriceCents: amount,
        purchaseDate: sql.placeholder("purchaseDate"),
      })
      .onConflictDoNothing()
      .prepare(),
    markInvoiceDeleted: db.update(invoices).set({ deletedDate }).where(eq(invoices.id, id)).prepare(),
    addToCustomer: db
      .update(customers)
      .set({ totalRevenueCents: sql`${customers.totalRevenueCents} + ${amount}` })
      .where(eq(customers.id, id))
      .prepare(),
    addToAccount: db
      .update(accounts)
      .set({ totalRevenueCents: sql`${accounts.totalRevenueCents} + ${amount}` })
      .where(eq(accounts.id, id))
      .prepare(),
    renameCustomer: db
      .update(customers)
      .set({ name: sql`${sql.placeholder("name")}` })
      .where(eq(customers.id, id))
      .prepare(),
    markLiveInvoicesDeleted: db
      .update(invoices)
      .set({ deletedDate })
      .where(and(eq(invoices.customerId, customerId), isNull(invoices.deletedDate)))
      .prepare(),
    markCustomerDeleted: db
      .update(customers)
      .set({ deletedDate, totalRevenueCents: 0 })
      .where(eq(customers.id, id))
      .prepare(),
  };

  return {
    accountExists(accountId: number): boolean {
      return statements.accountExists.get({ id: accountId }) !== undefined;
    },

    findCustomer(customerId: number): Customer | undefined {
      return statements.findCustomer.get({ id: customerId });
    },

    /** An invoice, deleted or not. */
    findInvoice(invoiceId: number): Invoice | undefined {
      return statements.findInvoice.get({ id: invoiceId });
    },

    addCustomer(customer: { id: number; accountId: number; name: string }): void {
      statements.addCustomer.run(customer);
    },

    /**
     * Records an invoice and adds its amount to its customer's and its account's totals; false, changing
     * nothing, when an invoice with its id exists (deleted or not).
     */
    addInvoice(
      invoice: { id: number; customerId: number; purchasePriceCents: number; purchaseDate: string },
      accountId: number,
    ): boolean {
      const amount = invoice.purchasePriceCents;
      if (changesOf(statements.addInvoice.run({ ...invoice, amount })) === 0) return false;
      statements.addToCustomer.run({ id: invoice.customerId, amount });
      statements.addToAccount.run({ id: accountId, amount });
      return true;
    },

    renameCustomer(customerId: number, name: string): void {
      statements.renameCustomer.run({ id: customerId, name });
    },

    /** Marks an invoice deleted and takes its amount off its customer's and its account's totals. */
    deleteInvoice(invoice: Invoice, accountId: number, deletedDate: string): void {
      statements.markInvoiceDeleted.run({ id: invoice.id, deletedDate });
      statements.addToCustomer.run({ id: invoice.customerId, amount: -invoice.purchasePriceCents });
      statements.addToAccount.run({ id: accountId, amount: -invoice.purchasePriceCents });
    },

    /** Marks a customer and its live invoices deleted; its whole total leaves its account. */
    deleteCustomer(customer: Customer, deletedDate: string): void {
      statements.markLiveInvoicesDeleted.run({ customerId: customer.id, deletedDate });
      statements.markCustomerDeleted.run({ id: customer.id, deletedDate });
      statements.addToAccount.run({ id: customer.accountId, amount: -customer.totalRevenueCents });
    },
  };
}
