import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import type { DomainEvent } from "../../shared/events/schemas";
import { deadLetterStreamOf } from "../../shared/events/stream-contract";
import { encodeEnvelope, envelopeOf } from "../../shared/events/wire";
import { openDatabase } from "../../shared/sqlite/db";
import { type AccountView, login, request } from "../support/api";
import { stoppedAfterEachTest } from "../support/lifecycle";
import { runOps } from "../support/ops";
import { eventually, type TestRedis, tempDir } from "../support/resources";
import { caughtUp, health, settled, type TestSystem } from "../support/services";

const ROOT = join(import.meta.dir, "..", "..");
let redis: TestRedis | undefined;
let system: TestSystem | undefined;

const started = stoppedAfterEachTest();

async function withSystem(extraEnv: Record<string, string> = {}) {
  redis = await started.redis();
  system = await started.system(redis, extraEnv);
  const token = await login(system.accounts.url, "user1", "password1");
  await settled(system, redis.client);
  return { redis, system, token };
}

/** XADDs an event in the wire format, as another producer would; `version` 2 is a future version. */
async function xaddEvent(
  redis: TestRedis,
  system: TestSystem,
  event: DomainEvent,
  options: { version?: number; streamId?: string } = {},
): Promise<string> {
  const envelope = { ...envelopeOf(event, uuidv7(), new Date()), version: options.version ?? 1 };
  const id = await redis.client.xadd(system.streamKey, options.streamId ?? "*", ...encodeEnvelope(envelope));
  return id as string;
}

const customerCreated = (id: string, name: string): DomainEvent => ({
  type: "CustomerCreated",
  payload: { id, account_id: "1", name, created_date: new Date().toISOString() },
});

const invoiceCreated = (id: string, customerId: string, cents: number): DomainEvent => ({
  type: "InvoiceCreated",
  payload: {
    id,
    customer_id: customerId,
    purchase_price_cents: cents,
    purchase_date: "2026-11-24",
    created_date: new Date().toISOString(),
    currency: "USD",
  },
});

type ListedDeadLetter = { id: string; consumer: string; originalId: string; reason: string };

async function deadLetters(system: TestSystem): Promise<ListedDeadLetter[]> {
  const listed = await runOps(system.env, ["dlq", "list", "--json"]);
  expect(listed.code).toBe(0);
  return JSON.parse(listed.stdout) as ListedDeadLetter[];
}

const accountsOf = async (system: TestSystem, token: string) =>
  (await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token })).body;

describe("usage", () => {
  test("--help prints the commands and exits 0; no command or an unknown one exits 2 with the usage on stderr", async () => {
    const help = await runOps({}, ["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["stream-info", "dlq redrive", "outbox", "user add", "user passwd"])
      expect(help.stdout).toContain(command);
    expect((await runOps({}, ["dlq", "--help"])).stdout).toContain("dlq purge DLQ-ID");

    const none = await runOps({}, []);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("usage:");
    const unknown = await runOps({}, ["frobnicate"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect((await runOps({}, ["dlq", "list", "--limit", "none"])).code).toBe(2);
    expect((await runOps({}, ["dlq", "redrive", "--consumer", "accounts"])).code).toBe(2);
  });
});

describe("dlq", () => {
  test("a future-version entry dead-lettered by both consumers is listed, inspected and purged", async () => {
    const { redis, system } = await withSystem();
    const poisonId = await xaddEvent(redis, system, customerCreated("777", "From the future"), {
      version: 2,
    });
    await settled(system, redis.client);
    const dlqKey = deadLetterStreamOf(system.streamKey);
    await eventually("both consumers to dead-letter it", async () => (await redis.client.xlen(dlqKey)) === 2);

    const letters = await deadLetters(system);
    expect(letters.map((letter) => letter.consumer).sort()).toEqual(["accounts", "customers"]);
    for (const letter of letters) {
      expect(letter.originalId).toBe(poisonId);
      expect(letter.reason).toBe("unsupported version 2 of CustomerCreated");
    }
    const table = await runOps(system.env, ["dlq", "list"]);
    expect(table.code).toBe(0);
    for (const letter of letters) {
      expect(table.stdout).toMatch(
        new RegExp(`^${letter.id} +${letter.consumer} +${poisonId} +unsupported`, "m"),
      );
    }
    const newest = await runOps(system.env, ["dlq", "list", "--limit", "1"]);
    expect(newest.stdout).toContain(letters[1]?.id as string);
    expect(newest.stdout).not.toContain(letters[0]?.id as string);
    expect(newest.stdout).toContain("the newest 1 of 2");

    const accountsLetter = letters.find((letter) => letter.consumer === "accounts");
    const customersLetter = letters.find((letter) => letter.consumer === "customers");
    const inspected = await runOps(system.env, ["dlq", "inspect", accountsLetter?.id as string]);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toContain("Consumer:        accounts");
    expect(inspected.stdout).toContain(`OriginalId:      ${poisonId}`);
    expect(inspected.stdout).toContain('"EventVersion": "2"');
    expect(inspected.stdout).toContain('"name": "From the future"');
    const missing = await runOps(system.env, ["dlq", "inspect", "1-0"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no dead letter 1-0");
    expect((await runOps(system.env, ["dlq", "inspect", "not-an-id"])).code).toBe(2);

    const one = await runOps(system.env, ["dlq", "purge", customersLetter?.id as string]);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain("purged 1 dead letter");
    expect((await runOps(system.env, ["dlq", "purge", customersLetter?.id as string])).code).toBe(1);
    const noneOfCustomers = await runOps(system.env, ["dlq", "purge", "--all", "--consumer", "customers"]);
    expect(noneOfCustomers.stdout).toContain("purged 0 dead letters");
    const all = await runOps(system.env, ["dlq", "purge", "--all"]);
    expect(all.stdout).toContain("purged 1 dead letter");
    expect(await redis.client.xlen(dlqKey)).toBe(0);
    expect((await runOps(system.env, ["dlq", "list"])).stdout).toContain(`${dlqKey} is empty`);
  }, 60_000);

  test("an invoice dead-lettered while its customer was missing is redriven once the customer exists and counted once", async () => {
    const { redis, system, token } = await withSystem({ PARK_TIMEOUT_MS: "1" });
    const grace = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Grace", account_id: "1" },
    });
    expect(grace.status).toBe(201);
    await settled(system, redis.client);

    const orphanId = await xaddEvent(redis, system, invoiceCreated("900", "4242", 1500));
    // A later entry, 2 ms of stream time on: the parked invoice has waited past PARK_TIMEOUT_MS.
    const later = `${Number(orphanId.split("-")[0]) + 2}-0`;
    await xaddEvent(redis, system, invoiceCreated("901", grace.body.id as string, 250), { streamId: later });
    await settled(system, redis.client);
    const [letter] = await eventually("accounts to dead-letter the invoice", async () => {
      const letters = await deadLetters(system);
      return letters.length === 1 ? letters : undefined;
    });
    expect(letter?.consumer).toBe("accounts");
    expect(letter?.originalId).toBe(orphanId);
    expect(letter?.reason).toContain("invoice 900 names customer 4242, not seen yet");

    await xaddEvent(redis, system, customerCreated("4242", "Late"));
    await settled(system, redis.client);
    expect((await accountsOf(system, token))[0]?.total_revenue_cents).toBe(250);

    const redriven = await runOps(system.env, ["dlq", "redrive", letter?.id as string]);
    expect(redriven.code).toBe(0);
    const newId = /-> ([0-9]+-[0-9]+)/.exec(redriven.stdout)?.[1] as string;
    const [original] = await redis.client.xrange(system.streamKey, orphanId, orphanId);
    const [copy] = await redis.client.xrange(system.streamKey, newId, newId);
    expect(copy?.[1]).toEqual(original?.[1] as string[]);
    expect(await redis.client.xlen(deadLetterStreamOf(system.streamKey))).toBe(0);

    await settled(system, redis.client);
    const [account] = await accountsOf(system, token);
    expect(account?.total_revenue_cents).toBe(1750);
    expect(account?.customers.find((customer) => customer.customer_id === "4242")?.total_revenue_cents).toBe(
      1500,
    );

    const again = await runOps(system.env, ["dlq", "redrive", letter?.id as string]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`no dead letter ${letter?.id}`);
    await settled(system, redis.client);
    expect((await accountsOf(system, token))[0]?.total_revenue_cents).toBe(1750);
  }, 60_000);

  test("redrive --all --consumer puts back only that consumer's dead letters, each once", async () => {
    const { redis, system } = await withSystem();
    const poisonId = await xaddEvent(redis, system, customerCreated("778", "Still from the future"), {
      version: 2,
    });
    await settled(system, redis.client);
    const before = await eventually("both consumers to dead-letter it", async () => {
      const letters = await deadLetters(system);
      return letters.length === 2 ? letters : undefined;
    });

    const redriven = await runOps(system.env, ["dlq", "redrive", "--all", "--consumer", "accounts"]);
    expect(redriven.code).toBe(0);
    expect(redriven.stdout).toContain("redrove 1 dead letter onto");
    const copyId = /-> ([0-9]+-[0-9]+)/.exec(redriven.stdout)?.[1] as string;

    // Still a future version: both consumers read the copy and dead-letter it again, and that is all.
    await settled(system, redis.client);
    const after = await eventually("the copy to be dead-lettered again", async () => {
      const letters = await deadLetters(system);
      return letters.length === 3 ? letters : undefined;
    });
    const ids = after.map((letter) => letter.id);
    expect(ids).toContain(before.find((letter) => letter.consumer === "customers")?.id as string);
    expect(ids).not.toContain(before.find((letter) => letter.consumer === "accounts")?.id as string);
    expect(after.filter((letter) => letter.originalId === copyId)).toHaveLength(2);
    expect(after.filter((letter) => letter.originalId === poisonId)).toHaveLength(1);
  }, 60_000);
});

describe("outbox", () => {
  test("with Redis down, the invoice customers accepted shows as one unpublished event, then goes out", async () => {
    const { redis, system, token } = await withSystem();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Ada", account_id: "1" },
    });
    await settled(system, redis.client);
    await redis.kill();
    const invoice = await request("POST", `${system.customers.url}/invoices`, {
      token,
      json: { customer_id: customer.body.id, purchase_date: "2026-11-24", purchase_price_cents: 42 },
    });
    expect(invoice.status).toBe(201);

    const report = await runOps(system.env, ["outbox"]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^customers: 1 unpublished event, oldest \S+ \([0-9].* ago\)$/m);
    expect(report.stdout).toMatch(/^accounts: 0 unpublished events$/m);
    const json = await runOps(system.env, ["outbox", "--json"]);
    expect(JSON.parse(json.stdout)).toMatchObject({ customers: { count: 1 }, accounts: { count: 0 } });

    await redis.restart();
    await settled(system, redis.client);
    expect((await accountsOf(system, token))[0]?.total_revenue_cents).toBe(42);
    expect((await runOps(system.env, ["outbox"])).stdout).toContain("customers: 0 unpublished events");
  }, 60_000);

  test("a data dir with only the accounts database: customers is skipped with a note; with none, exit 1", async () => {
    const dir = tempDir("streamledger-ops-");
    started.defer(dir.remove);
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

describe("user", () => {
  test("user add with --account: the user logs in at once and the account reaches customers", async () => {
    const { system } = await withSystem();
    const password = "correct horse battery";
    const added = await runOps(system.env, ["user", "add", "alice", "--account", "Alice Co"], {
      env: { OPS_PASSWORD: password },
    });
    expect(added.code).toBe(0);
    expect(added.stdout + added.stderr).not.toContain(password);

    const token = await login(system.accounts.url, "alice", password);
    const [view, ...others] = await accountsOf(system, token);
    expect(others).toEqual([]);
    expect(view?.account).toMatchObject({ name: "Alice Co", owned_by: "alice" });
    const accountId = String(view?.account.id);
    const customer = await eventually("customers to know alice's account", async () => {
      const reply = await request("POST", `${system.customers.url}/customers`, {
        token,
        json: { name: "Alice's first customer", account_id: accountId },
      });
      return reply.status === 201 ? reply : undefined;
    });
    expect(customer.body.account_id).toBe(accountId);

    const duplicate = await runOps(system.env, ["user", "add", "alice"], {
      env: { OPS_PASSWORD: "another password" },
    });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('user "alice" already exists');
    expect(await login(system.accounts.url, "alice", password)).toBeString();
  }, 60_000);

  test("user add reads the password from stdin; a short password or a bad username is refused with 2", async () => {
    const { system } = await withSystem();
    const added = await runOps(system.env, ["user", "add", "carol.c"], {
      stdin: "stdin-password\nnot this\n",
    });
    expect(added.code).toBe(0);
    const token = await login(system.accounts.url, "carol.c", "stdin-password");
    expect(await accountsOf(system, token)).toEqual([]);

    const short = await runOps(system.env, ["user", "add", "bob"], { env: { OPS_PASSWORD: "short" } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 12 characters");
    const named = await runOps(system.env, ["user", "add", "bob"], {
      env: { OPS_PASSWORD: "bob-the-builder" },
    });
    expect([named.code, named.stderr.includes("must not contain the username")]).toEqual([2, true]);
    const common = await runOps(system.env, ["user", "add", "bob"], {
      env: { OPS_PASSWORD: "Password1234" },
    });
    expect([common.code, common.stderr.includes("is too common")]).toEqual([2, true]);
    const refused = await request("POST", `${system.accounts.url}/auth/login`, {
      json: { username: "bob", password: "short" },
    });
    expect(refused.status).toBe(401);
    const empty = await runOps(system.env, ["user", "add", "bob"]);
    expect(empty.code).toBe(2);
    const badName = await runOps(system.env, ["user", "add", "bob smith"], {
      env: { OPS_PASSWORD: "long enough" },
    });
    expect(badName.code).toBe(2);
  }, 60_000);

  test("user passwd: the new password logs in, the old one no longer does, sessions are revoked", async () => {
    const { system } = await withSystem();
    const session = await request<{ refresh_token: string }>("POST", `${system.accounts.url}/auth/login`, {
      json: { username: "user1", password: "password1" },
    });
    const changed = await runOps(system.env, ["user", "passwd", "user1"], { stdin: "a new password\n" });
    expect(changed.code).toBe(0);
    expect(changed.stdout + changed.stderr).not.toContain("a new password");
    expect(await login(system.accounts.url, "user1", "a new password")).toBeString();
    const old = await request("POST", `${system.accounts.url}/auth/login`, {
      json: { username: "user1", password: "password1" },
    });
    expect(old.status).toBe(401);
    const refreshed = await request("POST", `${system.accounts.url}/auth/refresh`, {
      json: { refresh_token: session.body.refresh_token },
    });
    expect(refreshed.status).toBe(401);

    const unknown = await runOps(system.env, ["user", "passwd", "nobody"], {
      env: { OPS_PASSWORD: "whatever123" },
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user "nobody"');
    const short = await runOps(system.env, ["user", "passwd", "user1"], { env: { OPS_PASSWORD: "1234567" } });
    expect(short.code).toBe(2);
    expect(await login(system.accounts.url, "user1", "a new password")).toBeString();
  }, 60_000);
});

describe("stream-info", () => {
  test("with accounts stopped, its lag is the invoices posted since; customers' is 0", async () => {
    const { redis, system, token } = await withSystem();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Lin", account_id: "1" },
    });
    await settled(system, redis.client);
    await system.accounts.kill("SIGTERM");
    for (const cents of [1, 2, 3]) {
      const invoice = await request("POST", `${system.customers.url}/invoices`, {
        token,
        json: { customer_id: customer.body.id, purchase_date: "2026-11-24", purchase_price_cents: cents },
      });
      expect(invoice.status).toBe(201);
    }
    await caughtUp([system.customers], redis.client, system.streamKey);
    const info = await eventually("customers to report its position", async () => {
      const ops = await runOps(system.env, ["stream-info"]);
      expect(ops.code).toBe(0);
      const parsed = JSON.parse(ops.stdout) as { lag: Record<string, number | string>; deadLetters: number };
      return parsed.lag.customers === 0 ? parsed : undefined;
    });
    expect(info.lag.accounts).toBe(3);
    expect(info.deadLetters).toBe(0);
    expect((await health(system.customers)).outbox.count).toBe(0);
  }, 60_000);

  test("a consumer more than 100000 entries behind is shown as >100000", async () => {
    const redis = await started.redis();
    started.defer(() => redis.stop());
    const dir = tempDir("streamledger-ops-");
    started.defer(dir.remove);
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
    ]);
    expect(ops.code).toBe(0);
    expect(JSON.parse(ops.stdout)).toMatchObject({
      length: 101_000,
      lag: { far: ">100000", near: 1000, done: 0 },
    });
  }, 60_000);
});
