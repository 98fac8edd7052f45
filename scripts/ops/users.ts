import { existsSync } from "node:fs";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { hashPassword } from "../../accounts/auth/password";
import { passwordProblems } from "../../accounts/auth/password-policy";
import { createSessionStore } from "../../accounts/auth/sessions";
import { accountCreated } from "../../accounts/domain";
import { accountSchemas, newUsername } from "../../accounts/schemas";
import { createAccountsStore } from "../../accounts/store";
import { envelopeOf } from "../../shared/events/wire";
import { inputLimitsOf } from "../../shared/http/limits";
import { openDatabase, type SqliteDatabase } from "../../shared/sqlite/db";
import {
  type Command,
  type Context,
  DONE,
  Failure,
  parseOptions,
  positionals,
  subcommands,
  UsageError,
} from "./cli";
import { readPassword } from "./password";

export const user: Command = {
  usage: `usage: npm run ops -- user <subcommand>

Users of the accounts service, written to DATA_DIR/accounts.sqlite (a running service sees them at once).

  user add USERNAME [--account NAME]   create a user; with --account also an account NAME owned by it,
                                       whose AccountCreated event the accounts service then publishes
  user passwd USERNAME                 set a user's password and log out all its sessions (refresh
                                       tokens are revoked; access tokens expire within TOKEN_TTL_SECONDS)

The password comes from the environment variable OPS_PASSWORD, else it is asked for at a terminal
(twice, not shown), else it is the first line of stdin; never from the command line. It has at least
PASSWORD_MIN_LENGTH (default 12) characters, does not contain the username, is not a common password
and not one character repeated. USERNAME is 1 to 100 of A-Z a-z 0-9 . _ -.
Exit 1 when the user already exists (add) or does not exist (passwd); 2 for a bad username or password.`,
  run: subcommands("user", { add, passwd }),
};

function username(value: string | undefined): string {
  const parsed = newUsername.safeParse(value);
  if (!parsed.success) throw new UsageError("USERNAME must be 1 to 100 characters of A-Z a-z 0-9 . _ -");
  return parsed.data;
}

async function newPasswordHash(context: Context, name: string): Promise<string> {
  const password = await readPassword(context.env);
  const problems = passwordProblems(password, name, context.config.PASSWORD_MIN_LENGTH);
  if (problems.length > 0) throw new UsageError(`the password ${problems.join(", ")}`);
  return hashPassword(password);
}

/** The accounts database, read-write with its migrations; refuses to create one where there is none. */
function openAccounts(context: Context): SqliteDatabase {
  const path = join(context.config.DATA_DIR, "accounts.sqlite");
  if (!existsSync(path)) {
    throw new Failure(`no accounts database at ${path}: check DATA_DIR, or start the accounts service once`);
  }
  return openDatabase(path, new URL("../../migrations/accounts", import.meta.url).pathname);
}

async function add(args: string[], context: Context): Promise<number> {
  const { values, positionals: rest } = parseOptions(args, { account: { type: "string" } });
  const name = username(positionals(rest, ["USERNAME"])[0]);
  let accountName: string | undefined;
  if (values.account !== undefined) {
    const parsed = accountSchemas(inputLimitsOf(context.config)).createAccountBody.safeParse({
      name: values.account,
    });
    if (!parsed.success)
      throw new UsageError(`--account: the account name ${parsed.error.issues[0]?.message}`);
    accountName = parsed.data.name;
  }
  const database = openAccounts(context);
  try {
    const store = createAccountsStore(database.db);
    if (store.findUser(name)) throw new Failure(`user "${name}" already exists; nothing changed`);
    const passwordHash = await newPasswordHash(context, name);
    const now = new Date();
    const createdAt = now.toISOString();
    const newUser = { username: name, passwordHash, createdAt };
    let accountId: number | undefined;
    try {
      if (accountName === undefined) {
        createAccountsStore(database.db).addUser(newUser);
      } else {
        const account = {
          name: accountName,
          description: accountName,
          ownedBy: name,
          createdDate: createdAt,
        };
        // The user, the account and its AccountCreated event commit together; the service's relay publishes it.
        store.addUsersWithAccounts([{ user: newUser, account }], (created) => {
          accountId = created.id;
          return envelopeOf(accountCreated(created), uuidv7(), now);
        });
      }
    } catch (error) {
      if (/UNIQUE constraint failed: users\.username/.test(String(error))) {
        throw new Failure(`user "${name}" already exists; nothing changed`);
      }
      throw error;
    }
    console.log(
      accountId === undefined
        ? `created user "${name}"`
        : `created user "${name}" with account ${accountId} ("${accountName}"); the accounts service publishes its AccountCreated event`,
    );
    return DONE;
  } finally {
    database.close();
  }
}

async function passwd(args: string[], context: Context): Promise<number> {
  const { positionals: rest } = parseOptions(args, {});
  const name = username(positionals(rest, ["USERNAME"])[0]);
  const database = openAccounts(context);
  try {
    if (!createAccountsStore(database.db).findUser(name)) throw new Failure(`no user "${name}"`);
    const passwordHash = await newPasswordHash(context, name);
    const changed = createAccountsStore(database.db).setPasswordHash(name, passwordHash);
    if (!changed) throw new Failure(`no user "${name}"`);
    createSessionStore(database.db, context.config.REFRESH_TOKEN_TTL_SECONDS).endAllOf(name, new Date());
    console.log(`changed the password of "${name}" and logged out its sessions`);
    return DONE;
  } finally {
    database.close();
  }
}
