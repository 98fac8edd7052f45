import type { EventEnvelope } from "../shared/events/wire";
import { hashPassword } from "./auth/password";
import type { DevUser } from "./domain";
import type { AccountsStore } from "./store";
import type { Account } from "./tables";

/**
 * On a database with no users yet, creates the development users, each owning one account named as
 * given (user1 gets account 1, ...). Runs once: the users and the AccountCreated events commit together.
 */
export async function seedDevelopmentUsers(
  store: AccountsStore,
  devUsers: DevUser[],
  now: Date,
  describe: (account: Account) => EventEnvelope,
): Promise<boolean> {
  if (devUsers.length === 0 || store.hasUsers()) return false;
  const createdAt = now.toISOString();
  const entries = [];
  // In turn: each hash holds 19 MiB while it runs.
  for (const { username, password, accountName } of devUsers) {
    entries.push({
      user: { username, passwordHash: await hashPassword(password), createdAt },
      account: { name: accountName, description: accountName, ownedBy: username, createdDate: createdAt },
    });
  }
  if (store.hasUsers()) return false;
  store.addUsersWithAccounts(entries, describe);
  return true;
}
