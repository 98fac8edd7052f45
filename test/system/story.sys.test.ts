import { describe, expect, test } from "bun:test";
import { type AccountView, request } from "../support/api";
import { useSystem } from "../support/system";

const system = useSystem();

describe("the whole story over HTTP, with both services as processes", () => {
  test("login, a customer, invoices: GET /accounts shows the exact totals", async () => {
    const token = await system.login("user1");
    await system.settled();

    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "John Adams", account_id: "1" },
    });
    expect(customer.status).toBe(201);
    expect(customer.body.id).toMatch(/^[1-9][0-9]*$/);

    const amounts = [10_000, 2550, 1];
    for (const [day, cents] of amounts.entries()) {
      const invoice = await request("POST", `${system.customers.url}/invoices`, {
        token,
        json: {
          customer_id: customer.body.id,
          purchase_date: `2019-01-0${day + 1}`,
          purchase_price_cents: cents,
        },
      });
      expect(invoice.status).toBe(201);
      expect(invoice.body.id).toMatch(/^[1-9][0-9]*$/);
    }

    await system.settled();
    const accounts = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    expect(accounts.status).toBe(200);
    expect(accounts.body).toEqual([
      {
        account: {
          id: 1,
          name: "one",
          description: "one",
          owned_by: "user1",
          created_date: expect.any(String),
        },
        customers: [
          { customer_id: customer.body.id as string, name: "John Adams", total_revenue_cents: 12_551 },
        ],
        total_revenue_cents: 12_551,
      },
    ]);

    const own = await request("GET", `${system.customers.url}/customers/${customer.body.id}`, { token });
    expect(own.status).toBe(200);
    expect(own.body.total_revenue_cents).toBe(12_551);
    expect((own.body.invoices as unknown[]).length).toBe(3);
  });

  test("a user sees only their own accounts, and a new account reaches customers through the stream", async () => {
    const token = await system.login("user2");
    const made = await request<AccountView>("POST", `${system.accounts.url}/accounts`, {
      token,
      json: { name: "three", description: "a third account" },
    });
    expect(made.status).toBe(201);
    const accountId = String(made.body.account.id);

    await system.settled();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Martin North", account_id: accountId },
    });
    expect(customer.status).toBe(201);

    const list = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    expect(list.body.map((view) => view.account.id)).toEqual([2, Number(accountId)]);
    expect(list.body.every((view) => view.account.owned_by === "user2")).toBe(true);

    const foreign = await request("GET", `${system.accounts.url}/accounts/1`, { token });
    expect(foreign.status).toBe(403);
    const missing = await request("GET", `${system.accounts.url}/accounts/999`, { token });
    expect(missing.status).toBe(404);
  });

  test("each service's /health names it", async () => {
    for (const service of [system.accounts, system.customers]) {
      const reply = await request("GET", `${service.url}/health`);
      expect(reply.status).toBe(200);
      expect(reply.body.service).toBe(service.name);
    }
  });
});
