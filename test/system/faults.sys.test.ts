import { describe, expect, test } from "bun:test";
import { stoppedAfterEachTest } from "../support/lifecycle";
import { createCustomers, expectExactTotals, faultEvery, planInvoices, postInvoices } from "../support/load";
import { seededRandom, testSeed } from "../support/random";
import type { TestRedis } from "../support/resources";
import { health, settled, type TestSystem } from "../support/services";

const INVOICES = Number(process.env.FAULT_INVOICES ?? 1500);
const seed = testSeed(4242);

let redis: TestRedis | undefined;
let system: TestSystem | undefined;

const started = stoppedAfterEachTest();

async function startAll() {
  redis = await started.redis({ appendfsync: "always" });
  system = await started.system(redis, { CONSUMER_BATCH_SIZE: "100" });
  const { owners, customers } = await createCustomers(system, redis.client, 2, 16);
  return { redis, system, owners, customers };
}

describe(`fault injection (seed ${seed})`, () => {
  test(
    "customers killed with SIGKILL during a load: with Idempotency-Key retries every invoice counts exactly once",
    async () => {
      const { redis, system, owners, customers } = await startAll();
      const plan = planInvoices(customers, INVOICES, seededRandom(seed));
      const faults = faultEvery(8, Math.floor(INVOICES / 9), async () => {
        await system.customers.kill("SIGKILL");
        await system.customers.restart();
      });
      const history = await postInvoices(system.customers.url, plan, {
        concurrency: 8,
        retryUntilAcknowledged: true,
        beforeEach: faults.beforeEach,
      });
      expect(await faults.finish()).toBe(8);
      expect(history.acknowledged.size).toBe(plan.length);
      await expectExactTotals(system, redis.client, owners, history);
    },
    120_000 + INVOICES * 50,
  );

  test(
    "Redis killed with SIGKILL and restarted mid-load (AOF, appendfsync always): nothing acknowledged is lost",
    async () => {
      const { redis, system, owners, customers } = await startAll();
      const plan = planInvoices(customers, INVOICES, seededRandom(seed + 1));
      const faults = faultEvery(3, Math.floor(INVOICES / 4), () => redis.restart());
      const history = await postInvoices(system.customers.url, plan, {
        concurrency: 8,
        beforeEach: faults.beforeEach,
      });
      expect(await faults.finish()).toBe(3);
      await expectExactTotals(system, redis.client, owners, history);
    },
    120_000 + INVOICES * 50,
  );

  test(
    "Redis down for seconds while POSTs go on: they are still 201 and all count once Redis is back",
    async () => {
      const { redis, system, owners, customers } = await startAll();
      const plan = planInvoices(customers, 300, seededRandom(seed + 2));
      await settled(system, redis.client);
      await redis.kill();
      const history = await postInvoices(system.customers.url, plan, { concurrency: 4 });
      expect(history.acknowledged.size).toBe(plan.length);
      expect((await health(system.customers)).outbox.count).toBe(plan.length);
      await Bun.sleep(3000);
      await redis.restart();
      await expectExactTotals(system, redis.client, owners, history);
    },
    120_000 + INVOICES * 50,
  );
});
