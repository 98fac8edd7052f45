import { describe, expect, test } from "bun:test";
import { uuidv7 } from "uuidv7";
import { compareStreamIds } from "../../shared/events/stream-contract";
import { encodeEnvelope, envelopeOf } from "../../shared/events/wire";
import { type AccountView, accountViews, createCustomer, login, postInvoice, request } from "../support/api";
import { runOps } from "../support/ops";
import { eventually, freePort, tempDir } from "../support/resources";
import { caughtUp, health, metricValue, readiness, startService } from "../support/services";
import { readServiceDb } from "../support/sqlite";
import { type System, systemPerTest } from "../support/system";

const systems = systemPerTest();

/** A system where user1's account 1 has one customer, and what the tests do with it. */
async function withCustomer(env: Record<string, string> = {}) {
  const system = await systems.start({ env });
  const token = await system.login();
  const customerId = await createCustomer(system.customers.url, token, "Grace");
  const invoice = async (cents: number) =>
    expect((await postInvoice(system.customers.url, token, customerId, cents)).status).toBe(201);
  const accountTotal = async () =>
    (await accountViews(system.accounts.url, token)).find((view) => view.account.id === 1)
      ?.total_revenue_cents;
  /** An invoice of `applied` cents counted, then accounts stopped and one of `pending` published after it. */
  const stopAccountsBehind = async (applied: number, pending: number) => {
    await invoice(applied);
    await system.settled();
    await system.accounts.kill("SIGTERM");
    await invoice(pending);
    await eventually("customers to publish", async () => (await health(system.customers)).outbox.count === 0);
  };
  return { redis: system.redis, system, token, customerId, invoice, accountTotal, stopAccountsBehind };
}

describe("the same event delivered again", () => {
  test("an entry re-added with the same EventId is applied once", async () => {
    const { redis, system, invoice, accountTotal } = await withCustomer();
    await invoice(1234);
    await system.settled();
    const [last] = await redis.client.xrevrange(system.streamKey, "+", "-", "COUNT", 1);
    await redis.client.xadd(system.streamKey, "*", ...(last?.[1] ?? []));
    await system.settled();
    expect(await accountTotal()).toBe(1234);
    expect((await health(system.accounts)).consumer.duplicates).toBe(1);
  });

  test("the whole stream replayed twice into a fresh read model gives the state of a single application", async () => {
    const { redis, system, token, invoice } = await withCustomer();
    for (const cents of [100, 250, 999]) await invoice(cents);
    await system.settled();
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
    systems.defer(() => replica.kill("SIGTERM"), fresh.remove);
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
    const appliedIds = [...amounts.keys()].filter(
      (id) => compareStreamIds(id, checkpoint?.position ?? "0-0") <= 0,
    );
    expect(counted?.n).toBe(appliedIds.length);

    await system.accounts.restart();
    await system.settled();
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
    const { redis, system, invoice, accountTotal, stopAccountsBehind } = await withCustomer();
    await stopAccountsBehind(500, 70);
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
    expect(await accountTotal()).toBe(500);
    expect(await metricValue(system.accounts, "streamledger_consumer_stream_gap")).toBe(1);

    const ops = await runOps(system.env, ["acknowledge-gap", "accounts"]);
    expect(ops.code).toBe(0);
    expect(ops.stdout).toContain("acknowledged");

    await eventually("accounts to be ready again", async () => (await readiness(system.accounts)) === 200);
    expect(await metricValue(system.accounts, "streamledger_consumer_stream_gap")).toBe(0);
    await invoice(3);
    await system.settled();
    expect(await accountTotal()).toBe(503);
  }, 60_000);
});

describe("retention", () => {
  test("ops trim never removes what a consumer has not applied: the stopped one resumes with no gap", async () => {
    const { redis, system, accountTotal, stopAccountsBehind } = await withCustomer();
    await stopAccountsBehind(10, 20);
    const lengthBefore = await redis.client.xlen(system.streamKey);

    const dryRun = await runOps(system.env, ["trim", "--dry-run"]);
    expect(dryRun.code).toBe(0);
    const wouldTrim =
      /^would trim ([1-9][0-9]*) entries before \S+ \(the lowest applied position\); removed none$/m.exec(
        dryRun.stdout,
      )?.[1];
    expect(wouldTrim).toBeDefined();
    expect(await redis.client.xlen(system.streamKey)).toBe(lengthBefore);

    const ops = await runOps(system.env, ["trim"]);
    expect(ops.code).toBe(0);
    expect(ops.stdout).toStartWith(`trimmed ${wouldTrim} entries`);
    const [checkpoint] = readServiceDb<{ position: string }>(
      system.dataDir,
      "accounts",
      "SELECT position FROM checkpoints WHERE consumer = 'accounts'",
    );
    const [first] = await redis.client.xrange(system.streamKey, "-", "+", "COUNT", 1);
    expect(first?.[0]).toBe(checkpoint?.position);
    expect(await redis.client.xlen(system.streamKey)).toBeLessThan(lengthBefore);

    await system.accounts.restart();
    await system.settled();
    expect(await readiness(system.accounts)).toBe(200);
    expect(await accountTotal()).toBe(30);
  }, 60_000);
});

async function restarted(system: System) {
  await system.accounts.restart();
  return system.accounts;
}
