import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createCustomers, expectExactTotals, planInvoices, postInvoices } from "../support/load";
import { runOps } from "../support/ops";
import { createProgress } from "../support/progress";
import { seededRandom, testSeed } from "../support/random";
import { eventually } from "../support/resources";
import { health, readiness } from "../support/services";
import { readServiceDb } from "../support/sqlite";
import { type System, systemPerTest } from "../support/system";

const seed = testSeed(777);
const systems = systemPerTest();

const rebuild = (system: System, ...args: string[]) => runOps(system.env, ["rebuild", "accounts", ...args]);

describe(`rebuilding the accounts read model (seed ${seed})`, () => {
  test("--verify finds a live read model equal to a replay, and names a difference once one is introduced", async () => {
    const system = await systems.start();
    const { owners, customers } = await createCustomers(system, 1, 4);
    const history = await postInvoices(
      system.customers.url,
      planInvoices(customers, 40, seededRandom(seed)),
      {
        concurrency: 4,
      },
    );
    await system.redis.client.xadd(
      system.streamKey,
      "*",
      "EventTypeName",
      "InvoiceCreated",
      "Payload",
      "{broken",
    );
    await expectExactTotals(system, owners, history);

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
    await expectExactTotals(system, owners, history);
    expect((await rebuild(system, "--verify")).code).toBe(0);
  }, 120_000);

  test("a rebuild swapped in while invoices keep coming loses and doubles nothing", async () => {
    const system = await systems.start();
    const { owners, customers } = await createCustomers(system, 2, 8);
    const random = seededRandom(seed + 1);
    const before = await postInvoices(system.customers.url, planInvoices(customers, 300, random), {
      concurrency: 4,
    });
    await system.settled();

    const during = planInvoices(customers, 600, random).map((invoice) => ({
      ...invoice,
      key: `during-${invoice.key}`,
    }));
    // The rebuild starts once a sixth of the load is in, and must be swapped in before the load ends.
    const acknowledged = createProgress();
    let acknowledgedAtSwap = Number.POSITIVE_INFINITY;
    const rebuilding = (async () => {
      await acknowledged.reached(during.length / 6);
      const result = await rebuild(system);
      acknowledgedAtSwap = acknowledged.count();
      return result;
    })();
    const load = await postInvoices(system.customers.url, during, {
      concurrency: 2,
      beforeEach: async (done) => acknowledged.set(done),
    });
    acknowledged.end();
    const swapped = await rebuilding;
    expect(swapped.stdout).toContain("swapped it in");
    expect(swapped.code).toBe(0);
    expect(acknowledgedAtSwap).toBeLessThan(during.length);

    const history = { acknowledged: new Map([...before.acknowledged, ...load.acknowledged]), failures: 0 };
    await expectExactTotals(system, owners, history);
    const verified = await rebuild(system, "--verify");
    expect(verified.stdout).toContain("identical");
    expect(verified.code).toBe(0);
  }, 120_000);

  test("refused after a trim (history is gone), changing nothing", async () => {
    const system = await systems.start();
    const { owners, customers } = await createCustomers(system, 1, 2);
    const history = await postInvoices(
      system.customers.url,
      planInvoices(customers, 10, seededRandom(seed + 2)),
      {
        concurrency: 2,
      },
    );
    await system.settled();
    await system.redis.client.xtrim(system.streamKey, "MAXLEN", 3);

    const refused = await rebuild(system);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("no longer holds its whole history");
    await expectExactTotals(system, owners, history);
  }, 60_000);

  test("a consumer held by a gap over a stream restored whole from an older backup is rebuilt and moved to its end", async () => {
    const system = await systems.start();
    const { customers } = await createCustomers(system, 1, 2);
    const plan = (count: number, salt: number, prefix: string) =>
      planInvoices(customers, count, seededRandom(seed + salt)).map((i) => ({
        ...i,
        key: `${prefix}-${i.key}`,
      }));
    await postInvoices(system.customers.url, plan(10, 3, "backed-up"), { concurrency: 2 });
    await system.settled();
    const backup = await system.redis.client.xrange(system.streamKey, "-", "+");
    await postInvoices(system.customers.url, plan(5, 4, "lost"), { concurrency: 1 });
    await system.settled();

    // The "restore": the stream as it was at the backup, with its original IDs.
    await system.accounts.kill("SIGTERM");
    await system.redis.client.del(system.streamKey);
    for (const [id, fields] of backup) await system.redis.client.xadd(system.streamKey, id, ...fields);
    await system.accounts.restart();
    await eventually(
      "accounts to report the gap",
      async () => (await health(system.accounts)).consumer.gap !== null,
    );

    const rebuilt = await rebuild(system);
    expect(rebuilt.stdout).toContain("swapped it in");
    await eventually("accounts to be ready", async () => (await readiness(system.accounts)) === 200);
    const [checkpoint] = readServiceDb<{ position: string }>(
      system.dataDir,
      "accounts",
      "SELECT position FROM checkpoints WHERE consumer = 'accounts'",
    );
    expect(checkpoint?.position).toBe(backup.at(-1)?.[0]);
    const [counted] = readServiceDb<{ n: number }>(
      system.dataDir,
      "accounts",
      "SELECT count(*) AS n FROM invoices",
    );
    expect(counted?.n).toBe(10);
    expect((await rebuild(system, "--verify")).code).toBe(0);
  }, 120_000);
});
