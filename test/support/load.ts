import { expect } from "bun:test";
import { type AccountView, accountViews, createCustomer, request } from "./api";
import { createProgress } from "./progress";
import { eventually } from "./resources";
import { readServiceDb } from "./sqlite";
import type { DevelopmentUser, System } from "./system";

export type Owner = { username: string; token: string };
export type Customer = { id: string; owner: Owner };

/** Accounts and customers spread over the two development users: `accountsPerUser` each, customers round-robin. */
export async function createCustomers(system: System, accountsPerUser: number, count: number) {
  const owners: Owner[] = [];
  for (const username of ["user1", "user2"] satisfies DevelopmentUser[]) {
    owners.push({ username, token: await system.login(username) });
  }
  const accounts: { id: string; owner: Owner }[] = owners.map((owner, index) => ({
    id: String(index + 1),
    owner,
  }));
  for (const owner of owners) {
    for (let i = 1; i < accountsPerUser; i++) {
      const made = await request<AccountView>("POST", `${system.accounts.url}/accounts`, {
        token: owner.token,
        json: { name: `${owner.username} account ${i}` },
      });
      accounts.push({ id: String(made.body.account.id), owner });
    }
  }
  await system.settled();
  const customers: Customer[] = [];
  for (let i = 0; i < count; i++) {
    const account = accounts[i % accounts.length] as (typeof accounts)[number];
    const id = await createCustomer(system.customers.url, account.owner.token, `customer ${i}`, account.id);
    customers.push({ id, owner: account.owner });
  }
  return { owners, customers };
}

export type PlannedInvoice = { key: string; customer: Customer; cents: number };

export function planInvoices(customers: Customer[], count: number, random: () => number): PlannedInvoice[] {
  return Array.from({ length: count }, (_, index) => ({
    key: `invoice-${index}`,
    customer: customers[Math.floor(random() * customers.length)] as Customer,
    cents: 1 + Math.floor(random() * 100_000),
  }));
}

/** What the clients saw: each acknowledged (201) invoice, by its plan key. */
export type History = { acknowledged: Map<string, PlannedInvoice>; failures: number };

/**
 * Posts the plan with `concurrency` clients. With `retryUntilAcknowledged`, a request that fails (service
 * killed, connection reset, 5xx) is retried with the same Idempotency-Key until it gets its 201, as a
 * careful client would; otherwise the plan must be acknowledged on the first try. `beforeEach` may hold
 * a client back (to keep faults in step with the load).
 */
export async function postInvoices(
  customersUrl: string,
  plan: PlannedInvoice[],
  options: {
    concurrency: number;
    retryUntilAcknowledged?: boolean;
    beforeEach?: (done: number) => Promise<void>;
  },
): Promise<History> {
  const history: History = { acknowledged: new Map(), failures: 0 };
  let next = 0;
  const post = async (invoice: PlannedInvoice) => {
    for (;;) {
      try {
        const reply = await request("POST", `${customersUrl}/invoices`, {
          token: invoice.customer.owner.token,
          headers: { "idempotency-key": invoice.key },
          json: {
            customer_id: invoice.customer.id,
            purchase_date: "2026-11-24",
            purchase_price_cents: invoice.cents,
          },
        });
        if (reply.status === 201) return;
        if (!options.retryUntilAcknowledged || reply.status < 500) {
          throw new Error(`invoice ${invoice.key} got ${reply.status}: ${JSON.stringify(reply.body)}`);
        }
      } catch (error) {
        if (!options.retryUntilAcknowledged || String(error).includes(" got ")) throw error;
      }
      history.failures += 1;
      await eventually(
        "customers to answer again",
        async () => (await fetch(`${customersUrl}/health/live`)).ok,
      );
    }
  };
  await Promise.all(
    Array.from({ length: options.concurrency }, async () => {
      while (next < plan.length) {
        await options.beforeEach?.(history.acknowledged.size);
        const invoice = plan[next++];
        if (!invoice) break;
        await post(invoice);
        history.acknowledged.set(invoice.key, invoice);
      }
    }),
  );
  return history;
}

/**
 * The history check: once the system settles, every acknowledged invoice is counted exactly once, per
 * customer and per account, and nothing else is counted.
 */
export async function expectExactTotals(system: System, owners: Owner[], history: History) {
  await system.settled();
  const expected = new Map<string, number>();
  for (const invoice of history.acknowledged.values()) {
    expected.set(invoice.customer.id, (expected.get(invoice.customer.id) ?? 0) + invoice.cents);
  }
  const seen = new Map<string, number>();
  let accountsTotal = 0;
  for (const owner of owners) {
    for (const view of await accountViews(system.accounts.url, owner.token)) {
      accountsTotal += view.total_revenue_cents;
      for (const customer of view.customers) {
        if (customer.total_revenue_cents > 0) seen.set(customer.customer_id, customer.total_revenue_cents);
      }
    }
  }
  expect(Object.fromEntries([...seen].sort())).toEqual(Object.fromEntries([...expected].sort()));
  expect(accountsTotal).toBe([...expected.values()].reduce((sum, cents) => sum + cents, 0));
  const [counted] = readServiceDb<{ n: number }>(
    system.dataDir,
    "accounts",
    "SELECT count(*) AS n FROM invoices",
  );
  expect(counted?.n).toBe(history.acknowledged.size);
}

/**
 * Runs `fault` every `everyAcknowledged` invoices while the load runs (plus `jitter()` more, to vary
 * where it lands), holding clients that get a whole interval ahead so every fault lands mid-load.
 */
function faultEvery(
  times: number,
  everyAcknowledged: number,
  fault: () => Promise<void>,
  options: { jitter?: () => number } = {},
) {
  const acknowledged = createProgress();
  const faults = createProgress();
  const runner = (async () => {
    while (faults.count() < times) {
      await acknowledged.reached((faults.count() + 1) * everyAcknowledged + (options.jitter?.() ?? 0));
      if (acknowledged.ended()) break;
      await fault();
      faults.set(faults.count() + 1);
    }
  })();
  // A fault that fails releases the clients it holds; finish() then throws its error.
  runner.catch(() => faults.end());
  return {
    beforeEach: async (count: number) => {
      acknowledged.set(count);
      await faults.reached(Math.min(times, Math.floor(count / everyAcknowledged) - 1));
    },
    async finish() {
      acknowledged.end();
      await runner;
      return faults.count();
    },
  };
}

/**
 * Posts the plan with `concurrency` clients while `fault` runs `times` times, spread evenly over it by
 * acknowledged count (`jitter(every)` invoices later each, if given): the clients' history, and how
 * many faults ran.
 */
export async function postInvoicesWithFaults(
  customersUrl: string,
  plan: PlannedInvoice[],
  options: {
    times: number;
    fault: () => Promise<void>;
    concurrency: number;
    retryUntilAcknowledged?: boolean;
    jitter?: (every: number) => number;
  },
): Promise<{ history: History; faults: number }> {
  const { times, fault, jitter, ...load } = options;
  const every = Math.floor(plan.length / (times + 1));
  const faults = faultEvery(times, every, fault, { jitter: jitter && (() => jitter(every)) });
  const history = await postInvoices(customersUrl, plan, { ...load, beforeEach: faults.beforeEach });
  return { history, faults: await faults.finish() };
}
