import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { stoppedAfterEachTest } from "../support/lifecycle";
import { createCustomers, expectExactTotals, planInvoices, postInvoices } from "../support/load";
import { runOps } from "../support/ops";
import { seededRandom, testSeed } from "../support/random";
import { eventually, type TestRedis } from "../support/resources";
import { health, settled, type TestSystem } from "../support/services";
import { readServiceDb } from "../support/sqlite";

const seed = testSeed(777);
let redis: TestRedis | undefined;
let system: TestSystem | undefined;

const started = stoppedAfterEachTest();

const rebuild = (system: TestSystem, ...args: string[]) =>
  runOps(system.env, ["rebuild", "accounts", ...args]);

describe(`rebuilding the accounts read model (seed ${seed})`, () => {
  test("--verify finds a live read model equal to a replay, and names a difference once one is introduced", async () => {
    redis = await started.redis();
    system = await started.system(redis);
    const { owners, customers } = await createCustomers(system, redis.client, 1, 4);
    const history = await postInvoices(
      system.customers.url,
      planInvoices(customers, 40, seededRandom(seed)),
      {
        concurrency: 4,
      },
    );
    await redis.client.xadd(system.streamKey, "*", "EventTypeName", "InvoiceCreated", "Payload", "{broken");
    await expectExactTotals(system, redis.client, owners, history);

    const same = await rebuild(system, "--verify");
    expect(same.stdout).toContain("identical");
    expect(same.code).toBe(0);

    const live = new Database(join(system.dataDir, "accounts.sqlite"));
    live.exec("PRAGMA busy_timeout = 5000");
    live
      .query("UPDATE customers SET total_revenue_cents = total_revenue_cents + 1 WHERE id = ?")
      .run(Number(customers[0]?.id));
    live.close();
    const tampered = await rebuild(system, "--verify");
    expect(tampered.code).toBe(1);
    expect(tampered.stdout).toContain("customers: live has");
    expect(tampered.stdout).toContain("customers: rebuilt has");

    const fixed = await rebuild(system);
    expect(fixed.code).toBe(0);
    expect(fixed.stdout).toContain("swapped it in");
    await expectExactTotals(system, redis.client, owners, history);
    expect((await rebuild(system, "--verify")).code).toBe(0);
  }, 120_000);

  test("a rebuild swapped in while invoices keep coming loses and doubles nothing", async () => {
    redis = await started.redis();
    system = await started.system(redis);
    const { owners, customers } = await createCustomers(system, redis.client, 2, 8);
    const random = seededRandom(seed + 1);
    const before = await postInvoices(system.customers.url, planInvoices(customers, 300, random), {
      concurrency: 4,
    });
    await settled(system, redis.client);

    const during = planInvoices(customers, 600, random).map((invoice) => ({
      ...invoice,
      key: `during-${invoice.key}`,
    }));
    // The rebuild starts once a sixth of the load is in, and must be swapped in before the load ends.
    let acknowledged = 0;
    let acknowledgedAtSwap = Number.POSITIVE_INFINITY;
    const rebuilding = (async () => {
      while (acknowledged < during.length / 6) await Bun.sleep(5);
      const result = await rebuild(system);
      acknowledgedAtSwap = acknowledged;
      return result;
    })();
    const load = await postInvoices(system.customers.url, during, {
      concurrency: 2,
      beforeEach: async (done) => {
        acknowledged = done;
      },
    });
    const swapped = await rebuilding;
    expect(swapped.stdout).toContain("swapped it in");
    expect(swapped.code).toBe(0);
    expect(acknowledgedAtSwap).toBeLessThan(during.length);

    const history = { acknowledged: new Map([...before.acknowledged, ...load.acknowledged]), failures: 0 };
    await expectExactTotals(system, redis.client, owners, history);
    const verified = await rebuild(system, "--verify");
    expect(verified.stdout).toContain("identical");
    expect(verified.code).toBe(0);
  }, 120_000);

  test("refused after a trim (history is gone), changing nothing", async () => {
    const r = await started.redis();
    redis = r;
    const sys = await started.system(r);
    system = sys;
    const { owners, customers } = await createCustomers(sys, r.client, 1, 2);
    const history = await postInvoices(
      sys.customers.url,
      planInvoices(customers, 10, seededRandom(seed + 2)),
      {
        concurrency: 2,
      },
    );
    await settled(sys, r.client);
    await r.client.xtrim(sys.streamKey, "MAXLEN", 3);

    const refused = await rebuild(sys);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no longer holds its whole history");
    await expectExactTotals(sys, r.client, owners, history);
  }, 60_000);

  test("a consumer held by a gap over a stream restored whole from an older backup is rebuilt and moved to its end", async () => {
    const r = await started.redis();
    redis = r;
    const sys = await started.system(r);
    system = sys;
    const { customers } = await createCustomers(sys, r.client, 1, 2);
    const plan = (count: number, salt: number, prefix: string) =>
      planInvoices(customers, count, seededRandom(seed + salt)).map((i) => ({
        ...i,
        key: `${prefix}-${i.key}`,
      }));
    await postInvoices(sys.customers.url, plan(10, 3, "backed-up"), { concurrency: 2 });
    await settled(sys, r.client);
    const backup = await r.client.xrange(sys.streamKey, "-", "+");
    await postInvoices(sys.customers.url, plan(5, 4, "lost"), { concurrency: 1 });
    await settled(sys, r.client);

    // The "restore": the stream as it was at the backup, with its original IDs.
    await sys.accounts.kill("SIGTERM");
    await r.client.del(sys.streamKey);
    for (const [id, fields] of backup) await r.client.xadd(sys.streamKey, id, ...fields);
    await sys.accounts.restart();
    await eventually(
      "accounts to report the gap",
      async () => (await health(sys.accounts)).consumer.gap !== null,
    );

    const rebuilt = await rebuild(sys);
    expect(rebuilt.stdout).toContain("swapped it in");
    await eventually(
      "accounts to be ready",
      async () => (await fetch(`${sys.accounts.url}/health/ready`)).ok,
    );
    const [checkpoint] = readServiceDb<{ position: string }>(
      sys.dataDir,
      "accounts",
      "SELECT position FROM checkpoints WHERE consumer = 'accounts'",
    );
    expect(checkpoint?.position).toBe(backup.at(-1)?.[0]);
    const [counted] = readServiceDb<{ n: number }>(
      sys.dataDir,
      "accounts",
      "SELECT count(*) AS n FROM invoices",
    );
    expect(counted?.n).toBe(10);
    expect((await rebuild(sys, "--verify")).code).toBe(0);
  }, 120_000);
});
