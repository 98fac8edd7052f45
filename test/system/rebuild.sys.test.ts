import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createCustomers, expectExactTotals, planInvoices, postInvoices } from "../support/load";
import { seededRandom, testSeed } from "../support/random";
import { startRedis, type TestRedis } from "../support/resources";
import { settled, startSystem, type TestSystem } from "../support/services";

const seed = testSeed(777);
let redis: TestRedis | undefined;
let system: TestSystem | undefined;

afterEach(async () => {
  await system?.stop();
  await redis?.stop();
  system = undefined;
  redis = undefined;
});

async function rebuild(system: TestSystem, ...args: string[]) {
  const child = Bun.spawn(
    [
      process.execPath,
      join(import.meta.dir, "..", "..", "scripts", "ops.ts"),
      "rebuild",
      "accounts",
      ...args,
    ],
    { env: { ...process.env, ...system.env }, stdout: "pipe", stderr: "pipe" },
  );
  return { code: await child.exited, stdout: await new Response(child.stdout).text() };
}

describe(`rebuilding the accounts read model (seed ${seed})`, () => {
  test("--verify finds a live read model equal to a replay, and names a difference once one is introduced", async () => {
    redis = await startRedis();
    system = await startSystem(redis);
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
    redis = await startRedis();
    system = await startSystem(redis);
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
    const [load, swapped] = await Promise.all([
      postInvoices(system.customers.url, during, { concurrency: 4 }),
      rebuild(system),
    ]);
    expect(swapped.code).toBe(0);

    const history = { acknowledged: new Map([...before.acknowledged, ...load.acknowledged]), failures: 0 };
    await expectExactTotals(system, redis.client, owners, history);
    expect((await rebuild(system, "--verify")).code).toBe(0);
  }, 120_000);
});
