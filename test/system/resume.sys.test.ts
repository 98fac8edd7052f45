import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createCustomers, expectExactTotals, faultEvery, planInvoices, postInvoices } from "../support/load";
import { seededRandom, testSeed } from "../support/random";
import { startRedis, type TestRedis } from "../support/resources";
import { settled, startSystem, type TestSystem } from "../support/services";
import { readServiceDb } from "../support/sqlite";

const INVOICES = Number(process.env.FAULT_INVOICES ?? 3000);
const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const seed = testSeed(20261124);

let redis: TestRedis;
let system: TestSystem;

beforeAll(async () => {
  redis = await startRedis();
  system = await startSystem(redis, { CONSUMER_BATCH_SIZE: "50" });
});

afterAll(async () => {
  await system?.stop();
  await redis?.stop();
});

describe(`accounts killed with SIGKILL ${KILLS} times during a load of ${INVOICES} invoices (seed ${seed})`, () => {
  test(
    "after the restarts every acknowledged invoice counts exactly once and the checkpoint is at the stream's end",
    async () => {
      const random = seededRandom(seed);
      const { owners, customers } = await createCustomers(system, redis.client, 3, 24);
      const plan = planInvoices(customers, INVOICES, random);

      // Kills are spread over the load by acknowledged count; clients wait for the killer to keep up, so
      // every kill lands while invoices are being posted and applied.
      const kills = faultEvery(KILLS, Math.floor(INVOICES / (KILLS + 1)), async () => {
        await Bun.sleep(Math.floor(random() * 40));
        await system.accounts.kill("SIGKILL");
        await system.accounts.restart();
      });
      const history = await postInvoices(system.customers.url, plan, {
        concurrency: 8,
        beforeEach: kills.beforeEach,
      });
      expect(await kills.finish()).toBe(KILLS);

      await expectExactTotals(system, redis.client, owners, history);

      const lastId = await settled(system, redis.client);
      await system.accounts.kill("SIGTERM");
      const [checkpoint] = readServiceDb<{ position: string }>(
        system.dataDir,
        "accounts",
        "SELECT position FROM checkpoints WHERE consumer = 'accounts'",
      );
      expect(checkpoint?.position).toBe(lastId);
      await system.accounts.restart();
    },
    120_000 + INVOICES * 50,
  );
});
