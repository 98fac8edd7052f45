import { and, asc, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import type { EventEnvelope } from "../shared/events/wire";
import { commitOnce, type IdempotencyKey, type StoredReply } from "../shared/http/idempotency";
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

export function createAccountsStore(db: Db) {
  const appendToOutbox = createOutboxAppend(db);
  const appendEvent = (envelope: EventEnvelope) => appendToOutbox(eventEntry(envelope));
  return {
    /** Queues an event in the outbox; call it inside commit's write. */
    appendEvent,

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
            appendEvent(describe(insertAccount(tx, account)));
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
