import { describe, expect, test } from "bun:test";
import {
  createCustomers,
  expectExactTotals,
  planInvoices,
  postInvoices,
  postInvoicesWithFaults,
} from "../support/load";
import { seededRandom, testSeed } from "../support/random";
import { eventually } from "../support/resources";
import { health, logLines, readiness } from "../support/services";
import { systemPerTest } from "../support/system";

const INVOICES = Number(process.env.FAULT_INVOICES ?? 1500);
const seed = testSeed(4242);

const systems = systemPerTest();

const TIMEOUT_MS = 120_000 + INVOICES * 50;

/** A system with 16 customers over 4 accounts, and a plan of `invoices` invoices (seeded with `salt`). */
async function startWithPlan(invoices: number, salt: number) {
  const system = await systems.start({
    redis: { appendfsync: "always" },
    env: { CONSUMER_BATCH_SIZE: "100" },
  });
  const { owners, customers } = await createCustomers(system, 2, 16);
  return {
    redis: system.redis,
    system,
    owners,
    plan: planInvoices(customers, invoices, seededRandom(seed + salt)),
  };
}

describe(`fault injection (seed ${seed})`, () => {
  test(
    "customers killed with SIGKILL during a load: with Idempotency-Key retries every invoice counts exactly once",
    async () => {
      const { system, owners, plan } = await startWithPlan(INVOICES, 0);
      const { history, faults } = await postInvoicesWithFaults(system.customers.url, plan, {
        times: 8,
        fault: async () => {
          await system.customers.kill("SIGKILL");
          await system.customers.restart();
        },
        concurrency: 8,
        retryUntilAcknowledged: true,
      });
      expect(faults).toBe(8);
      expect(history.acknowledged.size).toBe(plan.length);
      await expectExactTotals(system, owners, history);
    },
    TIMEOUT_MS,
  );

  test(
    "Redis killed with SIGKILL and restarted mid-load (AOF, appendfsync always): nothing acknowledged is lost",
    async () => {
      const { redis, system, owners, plan } = await startWithPlan(INVOICES, 1);
      const { history, faults } = await postInvoicesWithFaults(system.customers.url, plan, {
        times: 3,
        fault: () => redis.restart(),
        concurrency: 8,
      });
      expect(faults).toBe(3);
      await expectExactTotals(system, owners, history);
    },
    TIMEOUT_MS,
  );

  test(
    "Redis down for seconds while POSTs go on: they are still 201 and all count once Redis is back",
    async () => {
      const { redis, system, owners, plan } = await startWithPlan(300, 2);
      await system.settled();
      await redis.kill();
      const history = await postInvoices(system.customers.url, plan, { concurrency: 4 });
      expect(history.acknowledged.size).toBe(plan.length);
      expect((await health(system.customers)).outbox.count).toBe(plan.length);
      // What seconds of outage do, seen rather than waited out: the relay has failed, backed off and
      // failed again, and neither service is ready.
      await eventually("the relay to fail twice and both services to report Redis down", async () => {
        const failures = logLines(system.customers).filter(
          (line) => line.msg === "outbox publish failed; will retry",
        );
        const statuses = await Promise.all([system.customers, system.accounts].map(readiness));
        return failures.length >= 2 && statuses.every((status) => status === 503);
      });
      await redis.restart();
      await expectExactTotals(system, owners, history);
    },
    TIMEOUT_MS,
  );
});
