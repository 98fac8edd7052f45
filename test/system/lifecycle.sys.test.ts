import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openRawConnection } from "../support/raw-http";
import { eventually, freePort, outputOf, tempDir } from "../support/resources";
import { logLines, spawnService } from "../support/services";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();

describe("a service's lifecycle as a process", () => {
  test("SIGTERM lets a request in flight finish, then exits 0", async () => {
    const system = await systems.start();
    const token = await system.login();
    const body = JSON.stringify({ name: "In Flight" });
    const connection = await openRawConnection(system.accounts.url);
    systems.defer(() => connection.destroy());
    connection.write(
      [
        "POST /accounts HTTP/1.1",
        `Host: ${new URL(system.accounts.url).host}`,
        `Authorization: Bearer ${token}`,
        "Content-Type: application/json",
        `Content-Length: ${body.length}`,
        "Expect: 100-continue",
        "\r\n",
      ].join("\r\n"),
    );
    // The server has the request in hand once it asks for the body; only then comes the SIGTERM, and
    // only once the service has begun its shutdown does the body follow.
    await connection.until(/^HTTP\/1\.1 100 /);
    const exited = system.accounts.kill("SIGTERM");
    await eventually("accounts to begin its shutdown", () =>
      logLines(system.accounts).some((line) => line.msg === "shutting down"),
    );
    connection.write(body);
    const [, status] = await connection.until(/\r\n\r\nHTTP\/1\.1 (\d{3}) /);
    expect(status).toBe("201");
    expect(await exited).toBe(0);
    await system.accounts.restart();
  });

  test("a service that cannot use its data directory exits 1 with the reason", async () => {
    const child = spawnService("accounts", {
      DATA_DIR: "/proc/streamledger-cannot-write-here",
      ACCOUNTS_PORT: String(freePort()),
    });
    const { code, stderr } = await outputOf(child);
    expect(code).toBe(1);
    expect(stderr).toContain("/proc/streamledger-cannot-write-here");
  });

  test("SIGTERM while a service is still starting ends it with exit code 0", async () => {
    const redis = await systems.redis();
    const dir = tempDir("streamledger-early-stop-");
    systems.defer(dir.remove);
    const child = spawnService("accounts", {
      REDIS_URL: redis.url,
      DATA_DIR: dir.path,
      ACCOUNTS_PORT: String(freePort()),
    });
    // Seeding the development users (argon2id) keeps it starting for a while: stop it in the middle.
    await eventually("the signing key to be written", () =>
      Bun.file(join(dir.path, "accounts-signing-keys.json")).exists(),
    );
    child.kill("SIGTERM");
    expect((await outputOf(child)).code).toBe(0);
  });

  // What the second copy changes in the first one's environment, given a fresh data directory.
  const secondCopies: [string, (freshDir: string) => Record<string, string>, RegExp][] = [
    ["on the same data directory", () => ({ ACCOUNTS_PORT: String(freePort()) }), /another accounts process/],
    [
      "on the same port, instead of sharing it,",
      (freshDir) => ({ DATA_DIR: freshDir }),
      /in use|EADDRINUSE/i,
    ],
  ];
  test.each(secondCopies)("a second copy of a service %s refuses to start", async (_, differs, reason) => {
    const system = await systems.start();
    const fresh = tempDir("streamledger-second-");
    systems.defer(fresh.remove);
    const { code, stderr } = await outputOf(
      spawnService("accounts", { ...system.env, ...differs(fresh.path) }),
    );
    expect(code).toBe(1);
    expect(stderr).toMatch(reason);
  });
});
