import { sql } from "drizzle-orm";
import { hashPassword, verifyPassword } from "../../accounts/auth/password";
import { createAccountsStore } from "../../accounts/store";
import { users } from "../../accounts/tables";
import { currentRuntime } from "../../shared/process/runtime";
import { openDatabase, sqliteDriverName } from "../../shared/sqlite/db";

// Run under Bun, Node.js or Deno by the cross-runtime tests; prints one JSON line with what it found.
//   hash <password>                  the hash this runtime makes
//   verify <password> <hash>         whether this runtime accepts it
//   sqlite <file> <migrations dir>   opens (migrating) the file, reports its settings, writes and reads
const [command, ...args] = process.argv.slice(2);

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify({ runtime: currentRuntime(), ...(value as object) })}\n`);
}

if (command === "hash") {
  print({ hash: await hashPassword(args[0] ?? "") });
} else if (command === "verify") {
  print({ matches: await verifyPassword(args[0] ?? "", args[1]) });
} else if (command === "sqlite") {
  const database = openDatabase(args[0] ?? "", args[1] ?? "");
  const { db } = database;
  const pragma = (name: string) =>
    Object.values(db.get<Record<string, unknown>>(sql.raw(`PRAGMA ${name}`)))[0];
  const username = `user-${currentRuntime()}`;
  const store = createAccountsStore(db);
  db.insert(users).values({ username, passwordHash: "x", createdAt: "2026-01-01T00:00:00Z" }).run();
  // A failed transaction leaves nothing, a nested one that fails is undone alone.
  let rolledBack = false;
  try {
    db.transaction((tx) => {
      tx.insert(users)
        .values({ username: `${username}-lost`, passwordHash: "x", createdAt: "t" })
        .run();
      throw new Error("abort");
    });
  } catch {
    rolledBack = true;
  }
  db.transaction((tx) => {
    tx.insert(users)
      .values({ username: `${username}-outer`, passwordHash: "x", createdAt: "t" })
      .run();
    try {
      tx.transaction((inner) => {
        inner
          .insert(users)
          .values({ username: `${username}-inner`, passwordHash: "x", createdAt: "t" })
          .run();
        throw new Error("abort inner");
      });
    } catch {}
  });
  let foreignKeyRefused = false;
  try {
    db.run(
      sql`INSERT INTO accounts (name, description, owned_by, created_date) VALUES ('a', '', 'nobody', 't')`,
    );
  } catch {
    foreignKeyRefused = true;
  }
  print({
    driver: sqliteDriverName,
    journalMode: pragma("journal_mode"),
    synchronous: pragma("synchronous"),
    busyTimeout: pragma("busy_timeout"),
    foreignKeys: pragma("foreign_keys"),
    rolledBack,
    foreignKeyRefused,
    users: db
      .select({ username: users.username })
      .from(users)
      .all()
      .map((row) => row.username)
      .sort(),
    found: store.findUser(username)?.username ?? null,
    // Raw SQL reads (the ops CLI's rebuild uses them) give rows as objects on every driver.
    rawRows: db.all(sql`SELECT 1 AS one, 'two' AS two`),
  });
  database.close();
} else {
  process.stderr.write(`unknown command ${command}\n`);
  process.exit(2);
}
