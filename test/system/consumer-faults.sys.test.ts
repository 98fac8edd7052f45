import { describe, expect, test } from "bun:test";
import { uuidv7 } from "uuidv7";
import { encodeEnvelope, envelopeOf } from "../../shared/events/wire";
import { type AccountView, login, request } from "../support/api";
import { stoppedAfterEachTest } from "../support/lifecycle";
import { runOps } from "../support/ops";
import { eventually, freePort, type TestRedis, tempDir } from "../support/resources";
import { caughtUp, health, settled, startService, type TestSystem } from "../support/services";
import { readServiceDb } from "../support/sqlite";

let redis: TestRedis | undefined;
let system: TestSystem | undefined;

const started = stoppedAfterEachTest();

async function withCustomer(extraEnv: Record<string, string> = {}) {
  redis = await started.redis();
  system = await started.system(redis, extraEnv);
  const token = await login(system.accounts.url, "user1", "password1");
  await settled(system, redis.client);
  const customer = await request("POST", `${system.customers.url}/customers`, {
    token,
    json: { name: "Grace", account_id: "1" },
  });
  expect(customer.status).toBe(201);
  return { redis, system, token, customerId: customer.body.id as string };
}

const postInvoice = (system: TestSystem, token: string, customerId: string, cents: number) =>
  request("POST", `${system.customers.url}/invoices`, {
    token,
    json: { customer_id: customerId, purchase_date: "2026-11-24", purchase_price_cents: cents },
  });

const accountTotal = async (system: TestSystem, token: string, accountsUrl = system.accounts.url) =>
  (await request<AccountView[]>("GET", `${accountsUrl}/accounts`, { token })).body.find(
    (view) => view.account.id === 1,
  )?.total_revenue_cents;

describe("the same event delivered again", () => {
  test("an entry re-added with the same EventId is applied once", async () => {
    const { redis, system, token, customerId } = await withCustomer();
    expect((await postInvoice(system, token, customerId, 1234)).status).toBe(201);
    await settled(system, redis.client);
    const [last] = await redis.client.xrevrange(system.streamKey, "+", "-", "COUNT", 1);
    await redis.client.xadd(system.streamKey, "*", ...(last?.[1] ?? []));
    await settled(system, redis.client);
    expect(await accountTotal(system, token)).toBe(1234);
    expect((await health(system.accounts)).consumer.duplicates).toBe(1);
  });

  test("the whole stream replayed twice into a fresh read model gives the state of a single application", async () => {
    const { redis, system, token, customerId } = await withCustomer();
    for (const cents of [100, 250, 999])
      expect((await postInvoice(system, token, customerId, cents)).status).toBe(201);
    await settled(system, redis.client);
    const once = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });

    for (const [, fields] of await redis.client.xrange(system.streamKey, "-", "+")) {
      await redis.client.xadd(system.streamKey, "*", ...fields);
    }
    const fresh = tempDir("streamledger-fresh-");
    const env = {
      ...system.env,
      DATA_DIR: fresh.path,
      ACCOUNTS_PORT: String(freePort()),
    };
    const replica = await startService("accounts", env);
    started.defer(() => replica.kill("SIGTERM"), fresh.remove);
    await caughtUp([system.customers, system.accounts, replica], redis.client, system.streamKey);

    const replicaToken = await login(replica.url, "user1", "password1");
    const twice = await request<AccountView[]>("GET", `${replica.url}/accounts`, { token: replicaToken });
    const withoutDates = (views: AccountView[]) =>
      views.map((view) => ({ ...view, account: { ...view.account, created_date: "" } }));
    expect(withoutDates(twice.body)).toEqual(withoutDates(once.body));
    expect(once.body[0]?.total_revenue_cents).toBe(1349);
  });
});

describe("SIGTERM while the consumer works through a backlog", () => {
  test("the batch in hand is committed, the process exits 0, and after a restart nothing is lost", async () => {
    const { redis, system, customerId } = await withCustomer({ CONSUMER_BATCH_SIZE: "2000" });
    await system.accounts.kill("SIGTERM");
    const amounts = new Map<string, number>();
    for (let chunk = 0; chunk < 20; chunk++) {
      const pipeline = redis.client.pipeline();
      for (let i = 0; i < 1000; i++) {
        const id = String(100_000 + chunk * 1000 + i);
        const event = {
          type: "InvoiceCreated" as const,
          payload: {
            id,
            customer_id: customerId,
            purchase_price_cents: 1 + (i % 97),
            purchase_date: "2026-11-24",
            created_date: "2026-11-24T00:00:00.000Z",
            currency: "USD" as const,
          },
        };
        pipeline.xadd(system.streamKey, "*", ...encodeEnvelope(envelopeOf(event, uuidv7(), new Date())));
      }
      for (const [, streamId] of (await pipeline.exec()) ?? []) amounts.set(streamId as string, 0);
    }
    const before = (await health(await restarted(system))).consumer.position;
    await eventually(
      "a first batch to be applied",
      async () => (await health(system.accounts)).consumer.position !== before,
    );
    expect(await system.accounts.kill("SIGTERM")).toBe(0);

    const [checkpoint] = readServiceDb<{ position: string }>(
      system.dataDir,
      "accounts",
      "SELECT position FROM checkpoints WHERE consumer = 'accounts'",
    );
    const [counted] = readServiceDb<{ n: number; total: number }>(
      system.dataDir,
      "accounts",
      "SELECT count(*) AS n, coalesce(sum(purchase_price_cents), 0) AS total FROM invoices WHERE id >= 100000",
    );
    const appliedIds = [...amounts.keys()].filter((id) => compare(id, checkpoint?.position ?? "0-0") <= 0);
    expect(counted?.n).toBe(appliedIds.length);

    await system.accounts.restart();
    await settled(system, redis.client);
    const [all] = readServiceDb<{ n: number }>(
      system.dataDir,
      "accounts",
      "SELECT count(*) AS n FROM invoices",
    );
    expect(all?.n).toBe(20_000);
    expect(counted?.total).toBeGreaterThan(0);
  }, 120_000);
});

describe("a gap in the stream", () => {
  test("entries trimmed before accounts applied them: not ready until an operator acknowledges, then it goes on", async () => {
    const { redis, system, token, customerId } = await withCustomer();
    expect((await postInvoice(system, token, customerId, 500)).status).toBe(201);
    await settled(system, redis.client);
    await system.accounts.kill("SIGTERM");
    expect((await postInvoice(system, token, customerId, 70)).status).toBe(201);
    await eventually("customers to publish", async () => (await health(system.customers)).outbox.count === 0);
    await redis.client.xtrim(system.streamKey, "MAXLEN", 0);
    await system.accounts.restart();

    const notReady = await eventually("accounts to report the gap", async () => {
      const reply = await request<{ status: string; consumer: { gap: { reason: string } | null } }>(
        "GET",
        `${system.accounts.url}/health/ready`,
      );
      return reply.status === 503 && reply.body.consumer.gap ? reply.body : undefined;
    });
    expect(notReady.consumer.gap?.reason).toContain("trimmed before this consumer applied them");
    expect(await accountTotal(system, token)).toBe(500);
    expect(await metric(system.accounts.url, "streamledger_consumer_stream_gap")).toBe(1);

    const ops = await runOps(system.env, ["acknowledge-gap", "accounts"]);
    expect(ops.code).toBe(0);
    expect(ops.stdout).toContain("acknowledged");

    await eventually(
      "accounts to be ready again",
      async () => (await fetch(`${system.accounts.url}/health/ready`)).status === 200,
    );
    expect(await metric(system.accounts.url, "streamledger_consumer_stream_gap")).toBe(0);
    expect((await postInvoice(system, token, customerId, 3)).status).toBe(201);
    await settled(system, redis.client);
    expect(await accountTotal(system, token)).toBe(503);
  }, 60_000);
});

describe("retention", () => {
  test("ops trim never removes what a consumer has not applied: the stopped one resumes with no gap", async () => {
    const { redis, system, token, customerId } = await withCustomer();
    expect((await postInvoice(system, token, customerId, 10)).status).toBe(201);
    await settled(system, redis.client);
    await system.accounts.kill("SIGTERM");
    expect((await postInvoice(system, token, customerId, 20)).status).toBe(201);
    await eventually("customers to publish", async () => (await health(system.customers)).outbox.count === 0);
    const lengthBefore = await redis.client.xlen(system.streamKey);

    const ops = await runOps(system.env, ["trim"]);
    expect(ops.code).toBe(0);
    expect(ops.stdout).toMatch(/^trimmed [1-9][0-9]* entries/);
    const [checkpoint] = readServiceDb<{ position: string }>(
      system.dataDir,
      "accounts",
      "SELECT position FROM checkpoints WHERE consumer = 'accounts'",
    );
    const [first] = await redis.client.xrange(system.streamKey, "-", "+", "COUNT", 1);
    expect(first?.[0]).toBe(checkpoint?.position);
    expect(await redis.client.xlen(system.streamKey)).toBeLessThan(lengthBefore);

    await system.accounts.restart();
    await settled(system, redis.client);
    expect((await fetch(`${system.accounts.url}/health/ready`)).status).toBe(200);
    expect(await accountTotal(system, token)).toBe(30);
  }, 60_000);
});

async function metric(serviceUrl: string, name: string): Promise<number> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const line = text.split("\n").find((row) => row.startsWith(`${name}{`));
  return Number(line?.split(" ").at(-1));
}

async function restarted(system: TestSystem) {
  await system.accounts.restart();
  return system.accounts;
}

function compare(a: string, b: string): number {
  const [aMs, aSeq] = a.split("-").map(BigInt) as [bigint, bigint];
  const [bMs, bSeq] = b.split("-").map(BigInt) as [bigint, bigint];
  return aMs === bMs ? Number(aSeq - bSeq) : Number(aMs - bMs);
}
