import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type AccountView, login, request } from "../support/api";
import { seededRandom, testSeed } from "../support/random";
import { startRedis, type TestRedis } from "../support/resources";
import { settled, startSystem, type TestSystem } from "../support/services";
import { readServiceDb } from "../support/sqlite";

const INVOICES = Number(process.env.RESUME_INVOICES ?? 3000);
const CONCURRENCY = 8;
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

describe(`accounts killed with SIGKILL again and again during a load (seed ${seed})`, () => {
  test("after restarts the totals equal the sum of accepted invoices and the checkpoint is at the stream's end", async () => {
    const random = seededRandom(seed);
    const token = await login(system.accounts.url, "user1", "password1");
    const accountIds = ["1"];
    for (const name of ["north", "south"]) {
      const made = await request<AccountView>("POST", `${system.accounts.url}/accounts`, { token, json: { name } });
      accountIds.push(String(made.body.account.id));
    }
    await settled(system, redis.client);

    const customerIds: string[] = [];
    for (let i = 0; i < 12; i++) {
      const account_id = accountIds[i % accountIds.length] as string;
      const made = await request("POST", `${system.customers.url}/customers`, {
        token,
        json: { name: `customer ${i}`, account_id },
      });
      expect(made.status).toBe(201);
      customerIds.push(made.body.id as string);
    }

    const expectedByCustomer = new Map<string, number>();
    const plan = Array.from({ length: INVOICES }, () => ({
      customer_id: customerIds[Math.floor(random() * customerIds.length)] as string,
      purchase_date: "2026-11-24",
      purchase_price_cents: 1 + Math.floor(random() * 100_000),
    }));
    const killDelays = Array.from({ length: 200 }, () => 50 + Math.floor(random() * 250));

    let posting = true;
    let kills = 0;
    const killer = (async () => {
      for (const delay of killDelays) {
        if (!posting) break;
        await Bun.sleep(delay);
        await system.accounts.kill("SIGKILL");
        kills += 1;
        await system.accounts.restart();
      }
    })();

    let next = 0;
    const workers = Array.from({ length: CONCURRENCY }, async () => {
      while (next < plan.length) {
        const invoice = plan[next++];
        if (!invoice) break;
        const reply = await request("POST", `${system.customers.url}/invoices`, { token, json: invoice });
        expect(reply.status).toBe(201);
        expectedByCustomer.set(
          invoice.customer_id,
          (expectedByCustomer.get(invoice.customer_id) ?? 0) + invoice.purchase_price_cents,
        );
      }
    });
    await Promise.all(workers);
    posting = false;
    await killer;
    console.info(`accounts was killed ${kills} times during ${INVOICES} invoices`);
    expect(kills).toBeGreaterThanOrEqual(3);

    const lastId = await settled(system, redis.client);
    const accounts = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    const seen = new Map(
      accounts.body.flatMap((view) => view.customers.map((c) => [c.customer_id, c.total_revenue_cents] as const)),
    );
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(customerIds.map((id) => [id, expectedByCustomer.get(id) ?? 0])));
    const grandTotal = plan.reduce((sum, invoice) => sum + invoice.purchase_price_cents, 0);
    expect(accounts.body.reduce((sum, view) => sum + view.total_revenue_cents, 0)).toBe(grandTotal);

    // Stop accounts so its file is quiet, then read the stored checkpoint and invoice count directly.
    await system.accounts.kill("SIGTERM");
    const [checkpoint] = readServiceDb<{ position: string }>(system.dataDir, "accounts", "SELECT position FROM checkpoints");
    expect(checkpoint?.position).toBe(lastId);
    const [counted] = readServiceDb<{ n: number }>(system.dataDir, "accounts", "SELECT count(*) AS n FROM invoices");
    expect(counted?.n).toBe(INVOICES);
    await system.accounts.restart();
  }, 240_000);
});
