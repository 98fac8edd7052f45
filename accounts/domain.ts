import type { AccountCreated, AccountDeleted } from "../shared/events/schemas";
import type { Caller } from "../shared/http/auth";
import { AuthError, ConflictError, NotFoundError } from "../shared/http/errors";
import type { AccountView, CustomerItem } from "./schemas";

type Account = {
  id: number;
  name: string;
  description: string;
  ownedBy: string;
  createdDate: string;
  totalRevenueCents: number;
};
type Customer = { id: number; accountId: number; name: string; totalRevenueCents: number };

export function accountView(account: Account, customers: Customer[]): AccountView {
  return {
    account: {
      id: account.id,
      name: account.name,
      description: account.description,
      owned_by: account.ownedBy,
      created_date: account.createdDate,
    },
    customers: customers.filter((customer) => customer.accountId === account.id).map(customerItem),
    total_revenue_cents: account.totalRevenueCents,
  };
}

export function customerItem(customer: Customer): CustomerItem {
  return {
    customer_id: String(customer.id),
    name: customer.name,
    total_revenue_cents: customer.totalRevenueCents,
  };
}

/**
 * An account may be deleted only while the read model shows it no customer (not deleted): deleting
 * its customers first is the customers service's job, and cascading from here would delete its data.
 */
export function checkAccountDeletable(account: Account, hasCustomers: boolean): void {
  if (hasCustomers) {
    throw new ConflictError(`account ${account.id} still has customers; delete them first`);
  }
}

export function accountDeleted(account: Account, deletedDate: string): AccountDeleted {
  return {
    type: "AccountDeleted",
    payload: { id: String(account.id), owned_by: account.ownedBy, deleted_date: deletedDate },
  };
}

/** 404 when the account does not exist, 403 when it belongs to someone else. */
export function checkAccountReadable(account: Account | undefined, rawId: string, caller: Caller): Account {
  if (!account) throw new NotFoundError(`no account with id "${rawId}"`);
  if (account.ownedBy !== caller.username)
    throw new AuthError(403, `account ${account.id} belongs to another user`);
  return account;
}

export function accountCreated(account: Account): AccountCreated {
  return {
    type: "AccountCreated",
    payload: {
      id: String(account.id),
      name: account.name,
      description: account.description,
      owned_by: account.ownedBy,
      created_date: account.createdDate,
    },
  };
}

export type DevUser = { username: string; password: string; accountName: string };

/** Parses `user:password:account name` entries separated by commas (the DEV_USERS variable). */
export function parseDevUsers(spec: string): DevUser[] {
  return spec
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
    .map((entry) => {
      const [username, password, ...name] = entry.split(":");
      const accountName = name.join(":");
      if (!username || !password || !accountName) {
        throw new Error(`DEV_USERS entry "${entry}" must be written user:password:account name`);
      }
      return { username, password, accountName };
    })
    .map((user, index, users) => {
      if (users.findIndex((other) => other.username === user.username) !== index) {
        throw new Error(`DEV_USERS names user "${user.username}" twice`);
      }
      return user;
    });
}
