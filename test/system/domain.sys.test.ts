import { beforeAll, describe, expect, test } from "bun:test";
import { type AccountView, request } from "../support/api";
import { useSystem } from "../support/system";

const system = useSystem();
let token: string;

beforeAll(async () => {
  token = await system.login();
});

const customersUrl = () => system.customers.url;
const accountOne = async () =>
  (await request<AccountView>("GET", `${system.accounts.url}/accounts/1`, { token })).body;

async function invoice(customerId: string, cents: number): Promise<string> {
  const reply = await request("POST", `${customersUrl()}/invoices`, {
    token,
    json: { customer_id: customerId, purchase_date: "2026-11-24", purchase_price_cents: cents },
  });
  expect(reply.status).toBe(201);
  return reply.body.id as string;
}

describe("the full domain across both services", () => {
  test("deleting an invoice and a customer, and renaming one, show in the accounts read model, also after a restart", async () => {
    const [kept, gone] = await Promise.all(
      ["Kept Customer", "Gone Customer"].map(async (name) => {
        const reply = await request("POST", `${customersUrl()}/customers`, {
          token,
          json: { name, account_id: "1" },
        });
        return reply.body.id as string;
      }),
    );
    const keptInvoice = await invoice(kept as string, 1000);
    const deletedInvoice = await invoice(kept as string, 300);
    await invoice(gone as string, 50);
    await system.settled();
    expect((await accountOne()).total_revenue_cents).toBe(1350);

    expect((await request("DELETE", `${customersUrl()}/invoices/${deletedInvoice}`, { token })).status).toBe(
      204,
    );
    expect((await request("DELETE", `${customersUrl()}/customers/${gone}`, { token })).status).toBe(204);
    const renamed = await request("PATCH", `${customersUrl()}/customers/${kept}`, {
      token,
      json: { name: "Renamed" },
    });
    expect(renamed.status).toBe(200);
    await system.settled();

    const expected = {
      customers: [{ customer_id: kept, name: "Renamed", total_revenue_cents: 1000 }],
      total_revenue_cents: 1000,
    };
    expect(await accountOne()).toMatchObject(expected);

    await system.accounts.kill("SIGKILL");
    await system.accounts.restart();
    expect(await accountOne()).toMatchObject(expected);
    expect(keptInvoice).toMatch(/^[1-9][0-9]*$/);
  });

  test("an account with customers cannot be deleted; emptied, it can, and customers then refuses new customers on it", async () => {
    const made = await request<AccountView>("POST", `${system.accounts.url}/accounts`, {
      token,
      json: { name: "Short Lived" },
    });
    const accountId = String(made.body.account.id);
    await system.settled();
    const customer = await request("POST", `${customersUrl()}/customers`, {
      token,
      json: { name: "Only Customer", account_id: accountId },
    });
    await system.settled();

    expect((await request("DELETE", `${system.accounts.url}/accounts/${accountId}`, { token })).status).toBe(
      409,
    );
    expect(
      (await request("DELETE", `${customersUrl()}/customers/${customer.body.id}`, { token })).status,
    ).toBe(204);
    await system.settled();
    const deleted = await request("DELETE", `${system.accounts.url}/accounts/${accountId}`, { token });
    expect([200, 204]).toContain(deleted.status);
    await system.settled();

    const refused = await request("POST", `${customersUrl()}/customers`, {
      token,
      json: { name: "Too Late", account_id: accountId },
    });
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toHaveProperty(["account_id"]);

    // customers' view of the deleted account survives a crash of customers too.
    await system.customers.kill("SIGKILL");
    await system.customers.restart();
    const stillRefused = await request("POST", `${customersUrl()}/customers`, {
      token,
      json: { name: "Still Too Late", account_id: accountId },
    });
    expect(stillRefused.status).toBe(422);
    expect((await request("GET", `${system.accounts.url}/accounts/${accountId}`, { token })).status).toBe(
      404,
    );
  });
});
