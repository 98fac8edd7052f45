import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import {
  createTestDatabase,
  type PrivatePostgres,
  psql,
  SHARED_POSTGRES_URL,
  startPrivatePostgres,
  useTestDatabase,
} from "./postgres";
import { eventually, freePort } from "./resources";

async function databaseExists(name: string): Promise<boolean> {
  const rows = await psql(SHARED_POSTGRES_URL, `SELECT 1 FROM pg_database WHERE datname = '${name}'`);
  return rows.length === 1;
}

let fileDatabaseName = "";

describe("useTestDatabase", () => {
  const database = useTestDatabase();

  test("gives the file an empty database of its own at its url", async () => {
    fileDatabaseName = database.name;
    expect(await psql(database.url, "SELECT current_database()")).toEqual([[database.name]]);
    expect(await psql(database.url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")).toEqual([
      ["0"],
    ]);
    expect(database.url).toBe(`postgres://postgres@127.0.0.1:5432/${database.name}`);
  });
});

describe("a test database", () => {
  test("is gone once the tests that used it are done", async () => {
    expect(fileDatabaseName).not.toBe("");
    expect(await databaseExists(fileDatabaseName)).toBe(false);
  });

  test("is dropped even while a connection to it is still open", async () => {
    const database = await createTestDatabase();
    const lingering = Bun.spawn(["psql", "-X", "-d", database.url, "-c", "SELECT pg_sleep(60)"], {
      stdout: "ignore",
      stderr: "ignore",
    });
    await eventually("the lingering connection to open", async () => {
      const sessions = await psql(
        SHARED_POSTGRES_URL,
        `SELECT count(*) FROM pg_stat_activity WHERE datname = '${database.name}'`,
      );
      return sessions[0]?.[0] === "1";
    });

    await database.drop();

    expect(await databaseExists(database.name)).toBe(false);
    expect(await lingering.exited).not.toBe(0);
  });

  test("cannot be created when PostgreSQL does not answer, and the error says what to do", async () => {
    const nowhere = `postgres://postgres@127.0.0.1:${freePort()}/postgres`;
    await expect(createTestDatabase(nowhere)).rejects.toThrow(
      /PostgreSQL is not reachable at .*\.ci\/run installs/s,
    );
  });
});

describe("a private PostgreSQL server", () => {
  let server: PrivatePostgres;
  beforeAll(async () => {
    server = await startPrivatePostgres();
  });
  afterAll(() => server?.stop());

  test("restarts on its port and keeps its data", async () => {
    await psql(server.url, "CREATE TABLE kept (id int PRIMARY KEY)");
    await psql(server.url, "INSERT INTO kept SELECT generate_series(1, 100)");

    await server.restart();

    expect(await psql(server.url, "SELECT count(*), sum(id) FROM kept")).toEqual([["100", "5050"]]);
  });

  test("SIGKILLed, refuses connections; restarted, it holds every committed row", async () => {
    await psql(server.url, "CREATE TABLE crashed (id int PRIMARY KEY)");
    for (const ids of ["1, 10", "11, 15", "16, 20"]) {
      await psql(server.url, `INSERT INTO crashed SELECT generate_series(${ids})`);
    }

    await server.kill();
    await expect(psql(server.url, "SELECT 1")).rejects.toThrow(/Connection refused/);
    await server.restart();

    expect(await psql(server.url, "SELECT count(*), sum(id) FROM crashed")).toEqual([["20", "210"]]);
  });
});
