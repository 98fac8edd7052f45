import { describe, expect, test } from "bun:test";
import { createCustomers, expectExactTotals, planInvoices, postInvoicesWithFaults } from "../support/load";
import { seededRandom, testSeed } from "../support/random";
import { readServiceDb } from "../support/sqlite";
import { useSystem } from "../support/system";

const INVOICES = Number(process.env.FAULT_INVOICES ?? 3000);
const KILLS = Number(process.env.FAULT_KILLS ?? 20);
const seed = testSeed(20261124);

const system = useSystem({ env: { CONSUMER_BATCH_SIZE: "50" } });

describe(`accounts killed with SIGKILL ${KILLS} times during a load of ${INVOICES} invoices (seed ${seed})`, () => {
  test(
    "after the restarts every acknowledged invoice counts exactly once and the checkpoint is at the stream's end",
    async () => {
      const random = seededRandom(seed);
      const { owners, customers } = await createCustomers(system, 3, 24);
      const plan = planInvoices(customers, INVOICES, random);

      // Kills are spread over the load by acknowledged count, each a random number of invoices later than
      // its even share; clients wait for the killer to keep up, so every kill lands while invoices are
      // being posted and applied.
      const { history, faults } = await postInvoicesWithFaults(system.customers.url, plan, {
        times: KILLS,
        fault: async () => {
          await system.accounts.kill("SIGKILL");
          await system.accounts.restart();
        },
        concurrency: 8,
        jitter: (every) => Math.floor((random() * every) / 2),
      });
      expect(faults).toBe(KILLS);

      await expectExactTotals(system, owners, history);

      const lastId = await system.settled();
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
