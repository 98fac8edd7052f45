import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "../../../shared/sqlite/db";
import { cleanupAfterEach } from "../../support/lifecycle";
import { tempDir } from "../../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "..", "migrations", "accounts");
const cleanups = cleanupAfterEach();

describe("openDatabase", () => {
  test("waits for a reader in another process (it would fail with 'database is locked')", async () => {
    const dir = tempDir("streamledger-db-");
    cleanups.push(dir.remove);
    const path = join(dir.path, "accounts.sqlite");
    const created = new Database(path);
    created.exec("CREATE TABLE probe (x)");
    created.close();
    // A read transaction held for 400 ms on the new file, as a monitoring script's query would.
    const reader = Bun.spawn(
      [
        process.execPath,
        "-e",
        `const { Database } = require("bun:sqlite");
         const db = new Database(${JSON.stringify(path)}, { readonly: true });
         db.exec("BEGIN"); db.query("SELECT count(*) FROM probe").get();
         console.log("holding"); Bun.sleepSync(400); db.exec("COMMIT");`,
      ],
      { stdout: "pipe" },
    );
    await reader.stdout.getReader().read();

    const database = openDatabase(path, MIGRATIONS);
    cleanups.push(database.close);

    expect(database.db.all(sql`PRAGMA journal_mode`)).toEqual([{ journal_mode: "wal" }]);
    expect(await reader.exited).toBe(0);
  });
});
