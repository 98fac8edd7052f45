import { and, asc, eq, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import type { EventEnvelope } from "../shared/events/wire";
import { commitOnce } from "../shared/http/idempotency";
import type { Commit } from "../shared/http/write-route";
import { createOutboxAppend, eventEntry } from "../shared/outbox/table";
import type { Db } from "../shared/sqlite/db";
import {
  type Account,
  accounts,
  type Customer,
  customers,
  type NewAccount,
  type User,
  users,
} from "./tables";

export type AccountsStore = ReturnType<typeof createAccountsStore>;

/**
 * Queries of the accounts database. Everything runs on the service's one SQLite connection, so the
 * writes (and the reads a write checks with), called inside commit's write, are part of its transaction.
 */
export function createAccountsStore(db: Db) {
  const appendToOutbox = createOutboxAppend(db);
  const appendEvent = (envelope: EventEnvelope) => appendToOutbox(eventEntry(envelope));
  const commit: Commit = async (key, at, write) => commitOnce(db, key, at, write);
  return {
    ...usersOf(db),
    ...accountReadsOf(db),
    ...accountWritesOf(db),

    /** Queues an event in the outbox. */
    appendEvent,

    /** Runs a write, its events and its idempotency record in one transaction (see commitOnce). */
    commit,

    /** Creates users and their first accounts, with the accounts' events, all or nothing. */
    addUsersWithAccounts(
      entries: { user: User; account: NewAccount }[],
      describe: (account: Account) => EventEnvelope,
    ): void {
      db.transaction(
        (tx) => {
          for (const { user, account } of entries) {
            tx.insert(users).values(user).run();
            appendEvent(describe(insertAccount(tx, account)));
          }
        },
        { behavior: "immediate" },
      );
    },
  };
}

function usersOf(db: Db) {
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
  };
}

/** Accounts and the customers the read model shows in them; a deleted one is gone as far as the API is concerned. */
function accountReadsOf(db: Db) {
  const liveCustomersOf = (...conditions: SQL[]) =>
    db
      .select()
      .from(customers)
      .where(and(isNull(customers.deletedDate), ...conditions))
      .orderBy(asc(customers.id));
  return {
    findAccount(id: number): Account | undefined {
      return db
        .select()
        .from(accounts)
        .where(and(eq(accounts.id, id), isNull(accounts.deletedDate)))
        .get();
    },

    accountsOwnedBy(username: string): Account[] {
      return db
        .select()
        .from(accounts)
        .where(and(eq(accounts.ownedBy, username), isNull(accounts.deletedDate)))
        .orderBy(asc(accounts.id))
        .all();
    },

    /** How many accounts, not deleted, `username` owns. */
    countLiveAccountsOf(username: string): number {
      const row = db
        .select({ n: sql<number>`count(*)` })
        .from(accounts)
        .where(and(eq(accounts.ownedBy, username), isNull(accounts.deletedDate)))
        .get();
      return row?.n ?? 0;
    },

    /** The customers (not deleted) of these accounts, by id. */
    customersOf(accountIds: number[]): Customer[] {
      if (accountIds.length === 0) return [];
      return liveCustomersOf(inArray(customers.accountId, accountIds)).all();
    },

    /** Up to `count` customers (not deleted) of an account with ids above `after`, by id. */
    customersPage(accountId: number, count: number, after: number | undefined): Customer[] {
      const cursor = after === undefined ? [] : [gt(customers.id, after)];
      return liveCustomersOf(eq(customers.accountId, accountId), ...cursor)
        .limit(count)
        .all();
    },

    /** Whether the read model holds customers of the account that are not deleted. */
    hasLiveCustomers(accountId: number): boolean {
      return liveCustomersOf(eq(customers.accountId, accountId)).limit(1).get() !== undefined;
    },
  };
}

function accountWritesOf(db: Db) {
  return {
    insertAccount: (values: NewAccount): Account => insertAccount(db, values),

    markAccountDeleted(id: number, deletedDate: string): Account {
      const deleted = db.update(accounts).set({ deletedDate }).where(eq(accounts.id, id)).returning().get();
      if (!deleted) throw new Error(`account ${id} vanished inside its own transaction`);
      return deleted;
    },
  };
}

function insertAccount(tx: Db, values: NewAccount): Account {
  return tx.insert(accounts).values(values).returning().get();
}
