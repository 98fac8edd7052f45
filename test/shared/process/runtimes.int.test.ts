import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { runToExit } from "../../../bench/support";
import { RUNTIMES, type Runtime, runtimeCommand } from "../../../shared/process/runtime";
import { tempDir } from "../../support/resources";

// The same code under each runtime as a real process (test/support/runtime-probe.ts): what one runtime
// writes (SQLite files, password hashes), the others read.
const ROOT = join(import.meta.dir, "..", "..", "..");
const PROBE = join(ROOT, "test", "support", "runtime-probe.ts");
const MIGRATIONS = join(ROOT, "migrations", "accounts");
const dir = tempDir("streamledger-runtimes-");
afterAll(() => dir.remove());

async function probe<T>(runtime: Runtime, ...args: string[]): Promise<T & { runtime: Runtime }> {
  const { stdout, stderr, code } = await runToExit(runtimeCommand(runtime, PROBE).concat(args), {
    cwd: ROOT,
  });
  if (code !== 0) throw new Error(`${runtime} probe ${args[0]} exited ${code}: ${stderr}`);
  const line = stdout.trim().split("\n").at(-1) ?? "";
  return JSON.parse(line) as T & { runtime: Runtime };
}

type SqliteReport = {
  driver: string;
  journalMode: string;
  synchronous: number;
  busyTimeout: number;
  foreignKeys: number;
  rolledBack: boolean;
  foreignKeyRefused: boolean;
  users: string[];
  found: string | null;
  rawRows: unknown[];
};

const DRIVERS: Record<Runtime, string> = { bun: "bun:sqlite", node: "better-sqlite3", deno: "node:sqlite" };

describe("SQLite on each runtime", () => {
  test.each([...RUNTIMES])(
    "under %s: its driver, WAL, synchronous FULL, busy timeout, foreign keys, migrations and transactions",
    async (runtime) => {
      const report = await probe<SqliteReport>(
        runtime,
        "sqlite",
        join(dir.path, `${runtime}.sqlite`),
        MIGRATIONS,
      );
      expect(report).toEqual({
        runtime,
        driver: DRIVERS[runtime],
        journalMode: "wal",
        synchronous: 2,
        busyTimeout: 5000,
        foreignKeys: 1,
        rolledBack: true,
        foreignKeyRefused: true,
        users: [`user-${runtime}`, `user-${runtime}-outer`],
        found: `user-${runtime}`,
        rawRows: [{ one: 1, two: "two" }],
      });
    },
  );

  test("one database file opened by Bun, then Node.js, then Deno keeps every write", async () => {
    const file = join(dir.path, "shared.sqlite");
    let last: SqliteReport | undefined;
    for (const runtime of RUNTIMES) last = await probe<SqliteReport>(runtime, "sqlite", file, MIGRATIONS);
    expect(last?.users).toEqual(
      RUNTIMES.flatMap((runtime) => [`user-${runtime}`, `user-${runtime}-outer`]).sort(),
    );
  });
});

describe("password hashes across runtimes", () => {
  const password = "correct horse battery staple";

  test("a hash made under any runtime verifies under every runtime, and a wrong password fails", async () => {
    const hashes = await Promise.all(
      RUNTIMES.map((runtime) => probe<{ hash: string }>(runtime, "hash", password)),
    );
    for (const { hash } of hashes) expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[^$]+\$[^$]+$/);
    const checks = await Promise.all(
      RUNTIMES.flatMap((checker) =>
        hashes.map(async ({ runtime: maker, hash }) => {
          const right = await probe<{ matches: boolean }>(checker, "verify", password, hash);
          const wrong = await probe<{ matches: boolean }>(checker, "verify", `${password}!`, hash);
          return `${maker}->${checker}: ${right.matches}/${wrong.matches}`;
        }),
      ),
    );
    expect(checks.sort()).toEqual(
      RUNTIMES.flatMap((checker) => RUNTIMES.map((maker) => `${maker}->${checker}: true/false`)).sort(),
    );
  });

  test("a hash Bun.password wrote before this module existed verifies under Node.js and Deno", async () => {
    const legacy = await Bun.password.hash(password, { algorithm: "argon2id" });
    for (const runtime of ["node", "deno"] as const) {
      expect((await probe<{ matches: boolean }>(runtime, "verify", password, legacy)).matches).toBe(true);
      expect((await probe<{ matches: boolean }>(runtime, "verify", "not it", legacy)).matches).toBe(false);
    }
  });
});
