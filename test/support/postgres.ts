import { afterAll, beforeAll } from "bun:test";
import { runToExit } from "../../bench/support";

export { type PrivatePostgres, startPrivatePostgres } from "./postgres-server";

/** The machine's PostgreSQL, as the tests expect it: 127.0.0.1:5432, trust auth, user postgres. */
export const SHARED_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/postgres";

const FIELD_SEPARATOR = "\x1f";

function runPsql(url: string, sql: string) {
  return runToExit(
    ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-F", FIELD_SEPARATOR, "-d", url, "-c", sql],
    { env: { ...process.env, PGCONNECT_TIMEOUT: "5" } },
  );
}

/**
 * Runs one SQL statement with the `psql` client on `url` and returns its rows, each a list of text fields
 * (NULL as ""; a value holding a newline would split its row). Fails with psql's message.
 */
export async function psql(url: string, sql: string): Promise<string[][]> {
  const run = await runPsql(url, sql);
  if (run.code !== 0) throw new Error(`psql failed on ${url} (${run.code}): ${run.stderr.trim()}`);
  return run.stdout
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => line.split(FIELD_SEPARATOR));
}

/** The same server's URL, naming another database. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export type TestDatabase = {
  name: string;
  url: string;
  /** Drops the database, ending whatever connections are still open to it. */
  drop(): Promise<void>;
};

/**
 * Creates an empty database with a random name on the server at `serverUrl` (the machine's PostgreSQL by
 * default); fails with a clear message when that server does not answer.
 */
export async function createTestDatabase(serverUrl = SHARED_POSTGRES_URL): Promise<TestDatabase> {
  const reachable = await runPsql(serverUrl, "SELECT 1");
  if (reachable.code !== 0) {
    throw new Error(
      `PostgreSQL is not reachable at ${serverUrl}: ${reachable.stderr.trim()}\n` +
        "The tests need PostgreSQL on 127.0.0.1:5432 with trust auth for user postgres; .ci/run installs " +
        "and starts it (Debian: apt-get install postgresql, then pg_ctlcluster <version> main start).",
    );
  }
  const name = `streamledger_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await psql(serverUrl, `CREATE DATABASE "${name}"`);
  return {
    name,
    url: databaseUrl(serverUrl, name),
    async drop() {
      await psql(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    },
  };
}

/**
 * A fresh database on the machine's PostgreSQL for the test file: created before its first test, dropped
 * after its last (registers beforeAll and afterAll). Read `url` from inside a test or hook.
 */
export function useTestDatabase(): { readonly name: string; readonly url: string } {
  let database: TestDatabase | null = null;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
    database = null;
  });
  const created = (): TestDatabase => {
    if (!database) throw new Error("the test database exists only between beforeAll and afterAll");
    return database;
  };
  return {
    get name() {
      return created().name;
    },
    get url() {
      return created().url;
    },
  };
}
