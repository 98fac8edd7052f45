import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../shared/sqlite/db";
import { accountViews, createCustomer, postInvoice } from "../support/api";
import { runOps } from "../support/ops";
import { eventually, freePort, tempDir } from "../support/resources";
import { caughtUp, health } from "../support/services";
import { systemPerTest } from "../support/system";

const ROOT = join(import.meta.dir, "..", "..");
const systems = systemPerTest();

async function withSystem(env: Record<string, string> = {}) {
  const system = await systems.start({ env });
  return { redis: system.redis, system, token: await system.login() };
}

describe("usage", () => {
  test("--help prints the commands and exits 0; no command or an unknown one exits 2 with the usage on stderr", async () => {
    const help = await runOps({}, ["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["stream-info", "dlq redrive", "outbox", "user add", "user passwd"])
      expect(help.stdout).toContain(command);
    expect((await runOps({}, ["dlq", "--help"])).stdout).toContain("dlq purge DLQ-ID");

    expect(help.stdout).toContain("usage: npm run ops -- <command>");
    expect(help.stdout).not.toContain("bun run");

    const none = await runOps({}, []);
    expect(none.code).toBe(2);
    expect(none.stderr).toBe(
      "usage: npm run ops -- <command> [arguments]\n(npm run ops -- --help lists the commands)\n",
    );
    const unknown = await runOps({}, ["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'ops: unknown command "frobnicate"\n(npm run ops -- --help lists the commands)\n',
    );
    const badLimit = await runOps({}, ["dlq", "list", "--limit", "none"]);
    expect(badLimit).toEqual({
      code: 2,
      stdout: "",
      stderr: "ops: --limit must be a positive integer\n(npm run ops -- dlq --help for its usage)\n",
    });
    expect((await runOps({}, ["dlq", "redrive", "--consumer", "accounts"])).code).toBe(2);
  });

  test("with Redis down a command answers at once, naming the URL with its password masked, and the fix", async () => {
    const port = freePort();
    const down = await runOps({ REDIS_URL: `redis://ops:s3cret@127.0.0.1:${port}` }, ["stream-info"]);
    expect(down.code).toBe(1);
    expect(down.stderr).toBe(
      `ops: cannot reach Redis at redis://ops:[redacted]@127.0.0.1:${port} (connect ECONNREFUSED 127.0.0.1:${port}): check that Redis is running there and that REDIS_URL (and REDIS_TLS_* for rediss://) are right\n`,
    );
    const local = await runOps({ REDIS_URL: "", LOCAL_REDIS_PORT: String(port) }, ["dlq", "list"]);
    expect(local.stderr).toContain(`start it (npm start runs one on 127.0.0.1:${port}), or set REDIS_URL`);

    // A server that accepts the connection and never answers: given up on after a second.
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    try {
      const hung = await runOps({ REDIS_URL: `redis://127.0.0.1:${silent.port}` }, ["trim"]);
      expect(hung.code).toBe(1);
      expect(hung.stderr).toContain(
        `cannot reach Redis at redis://127.0.0.1:${silent.port} (no answer in 1000 ms)`,
      );
    } finally {
      silent.stop(true);
    }
  });
});

describe("outbox", () => {
  test("with Redis down, the invoice customers accepted shows as one unpublished event, then goes out", async () => {
    const { redis, system, token } = await withSystem();
    const customerId = await createCustomer(system.customers.url, token, "Ada");
    await system.settled();
    await redis.kill();
    expect((await postInvoice(system.customers.url, token, customerId, 42)).status).toBe(201);

    const report = await runOps(system.env, ["outbox"]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^customers: 1 unpublished event, oldest \S+ \([0-9].* ago\)$/m);
    expect(report.stdout).toMatch(/^accounts: 0 unpublished events$/m);
    const json = await runOps(system.env, ["outbox", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ customers: { count: 1 }, accounts: { count: 0 } });

    await redis.restart();
    await system.settled();
    expect((await accountViews(system.accounts.url, token))[0]?.total_revenue_cents).toBe(42);
    expect((await runOps(system.env, ["outbox"])).stdout).toContain("customers: 0 unpublished events");
  }, 60_000);

  test("a data dir with only the accounts database: customers is skipped with a note; with none, exit 1", async () => {
    const dir = tempDir("streamledger-ops-");
    systems.defer(dir.remove);
    const env = { STREAM_KEY: "unused", DATA_DIR: dir.path };
    const nothing = await runOps(env, ["outbox"]);
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain("no service database under DATA_DIR");
    openDatabase(join(dir.path, "accounts.sqlite"), join(ROOT, "migrations", "accounts")).close();
    const report = await runOps(env, ["outbox"]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(
      `customers: no database at ${join(dir.path, "customers.sqlite")}; skipped`,
    );
    expect(report.stdout).toContain("accounts: 0 unpublished events");
  });
});

describe("stream-info", () => {
  test("with accounts stopped, its lag is the invoices posted since; customers' is 0", async () => {
    const { redis, system, token } = await withSystem();
    const customerId = await createCustomer(system.customers.url, token, "Lin");
    await system.settled();
    await system.accounts.kill("SIGTERM");
    for (const cents of [1, 2, 3]) {
      expect((await postInvoice(system.customers.url, token, customerId, cents)).status).toBe(201);
    }
    await caughtUp([system.customers], redis.client, system.streamKey);
    const info = await eventually("customers to report its position", async () => {
      const ops = await runOps(system.env, ["stream-info", "--json"]);
      expect(ops.code).toBe(0);
      const parsed = JSON.parse(ops.stdout) as { lag: Record<string, number | string>; deadLetters: number };
      return parsed.lag.customers === 0 ? parsed : undefined;
    });
    expect(info.lag.accounts).toBe(3);
    expect(info.deadLetters).toBe(0);
    expect((await health(system.customers)).outbox.count).toBe(0);

    // For people: the stream's facts, then one row per consumer.
    const table = await runOps(system.env, ["stream-info"]);
    expect(table.code).toBe(0);
    const length = await redis.client.xlen(system.streamKey);
    expect(table.stdout).toContain(`stream:        ${system.streamKey}\n`);
    expect(table.stdout).toContain(`length:        ${length} entries\n`);
    expect(table.stdout).toContain(`dead letters:  0 in ${system.streamKey}:dlq\n`);
    expect(table.stdout).toMatch(/^CONSUMER +POSITION +LAG \(ENTRIES AFTER IT\)$/m);
    expect(table.stdout).toMatch(/^accounts +[0-9]+-[0-9]+ +3$/m);
    expect(table.stdout).toMatch(/^customers +[0-9]+-[0-9]+ +0$/m);
  }, 60_000);

  test("a consumer more than 100000 entries behind is shown as >100000", async () => {
    const redis = await systems.redis();
    const dir = tempDir("streamledger-ops-");
    systems.defer(dir.remove);
    const streamKey = `stream-${crypto.randomUUID()}`;
    for (let chunk = 0; chunk < 101; chunk++) {
      const pipeline = redis.client.pipeline();
      for (let i = 0; i < 1000; i++) pipeline.xadd(streamKey, "*", "n", String(i));
      await pipeline.exec();
    }
    // Newest first: the newest entry has none after it, the 1001st newest has 1000.
    const newest = await redis.client.xrevrange(streamKey, "+", "-", "COUNT", 1001);
    await redis.client.hset(`${streamKey}:positions`, {
      far: "0-0",
      near: newest[1000]?.[0] as string,
      done: newest[0]?.[0] as string,
    });
    const ops = await runOps({ REDIS_URL: redis.url, STREAM_KEY: streamKey, DATA_DIR: dir.path }, [
      "stream-info",
      "--json",
    ]);
    expect(ops.code).toBe(0);
    expect(JSON.parse(ops.stdout)).toMatchObject({
      length: 101_000,
      lag: { far: ">100000", near: 1000, done: 0 },
    });
  }, 60_000);
});

describe("trim --dry-run", () => {
  test("says how many entries the lowest position lets go, and removes none", async () => {
    const redis = await systems.redis();
    const dir = tempDir("streamledger-ops-");
    systems.defer(dir.remove);
    const streamKey = `stream-${crypto.randomUUID()}`;
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await redis.client.xadd(streamKey, "*", "n", String(n))) as string);
    const env = { REDIS_URL: redis.url, STREAM_KEY: streamKey, DATA_DIR: dir.path };
    const dryRun = () => runOps(env, ["trim", "--dry-run"]);

    await redis.client.hset(`${streamKey}:positions`, { accounts: "0-0", customers: ids[2] as string });
    expect((await dryRun()).stdout).toBe(
      "would trim 0 entries before 0-0 (the lowest applied position); removed none\n",
    );
    await redis.client.hset(`${streamKey}:positions`, { accounts: ids[1] as string });
    expect((await dryRun()).stdout).toBe(
      `would trim 1 entries before ${ids[1]} (the lowest applied position); removed none\n`,
    );
    expect(await redis.client.xlen(streamKey)).toBe(3);
  });
});
