import { beforeAll, describe, expect, test } from "bun:test";
import { useCustomersApp } from "../support/customers-app";
import { expectProblem } from "../support/problems";

const app = useCustomersApp({ accounts: { 1: "user1", 2: "user2" } });
let user1: string;
let user2: string;
let foreignCustomerId: string;

beforeAll(async () => {
  [user1, user2] = await Promise.all([app.bearer("user1"), app.bearer("user2")]);
  foreignCustomerId = await newCustomer(user2, "2", "Theirs");
});

async function newCustomer(token: string, accountId: string, name: string): Promise<string> {
  const reply = await app.call("POST", "/customers", {
    authorization: token,
    json: { name, account_id: accountId },
  });
  expect(reply.status).toBe(201);
  return reply.body.id as string;
}

async function newInvoice(token: string, customerId: string, cents: number): Promise<string> {
  const json = { customer_id: customerId, purchase_date: "2026-11-24", purchase_price_cents: cents };
  const reply = await app.call("POST", "/invoices", { authorization: token, json });
  expect(reply.status).toBe(201);
  return reply.body.id as string;
}

const lastEntry = async () => (await app.entries()).at(-1) ?? {};

describe("DELETE /invoices/:id", () => {
  test("removes the invoice and publishes InvoiceDeleted with its amount", async () => {
    const customerId = await newCustomer(user1, "1", "Ann");
    const kept = await newInvoice(user1, customerId, 100);
    const gone = await newInvoice(user1, customerId, 250);

    const reply = await app.call("DELETE", `/invoices/${gone}`, { authorization: user1 });
    expect(reply.status).toBe(204);
    await app.footprint();
    const entry = await lastEntry();
    expect(entry.EventTypeName).toBe("InvoiceDeleted");
    expect(JSON.parse(entry.Payload as string)).toMatchObject({
      id: gone,
      customer_id: customerId,
      purchase_price_cents: 250,
    });
    const customer = await app.call("GET", `/customers/${customerId}`, { authorization: user1 });
    expect((customer.body.invoices as { id: string }[]).map((invoice) => invoice.id)).toEqual([kept]);
    expect(customer.body.total_revenue_cents).toBe(100);
  });

  test("a second delete is a 404 and publishes nothing; a retry with its Idempotency-Key replays the 204", async () => {
    const customerId = await newCustomer(user1, "1", "Bea");
    const invoiceId = await newInvoice(user1, customerId, 7);
    const headers = { "idempotency-key": `delete-${invoiceId}` };
    expect(
      (await app.call("DELETE", `/invoices/${invoiceId}`, { authorization: user1, headers })).status,
    ).toBe(204);
    const after = await app.footprint();
    const retry = await app.call("DELETE", `/invoices/${invoiceId}`, { authorization: user1, headers });
    expect(retry.status).toBe(204);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    await app.expectRejected("DELETE", `/invoices/${invoiceId}`, { authorization: user1 }, 404);
    expect(await app.footprint()).toEqual(after);
  });

  test.each([
    ["another user's invoice", 403],
    ["an unknown invoice", 404],
    ["a malformed id", 404],
    ["no token", 401],
  ])("refuses %s with %d and changes nothing", async (situation, status) => {
    const foreignInvoice = await newInvoice(user2, foreignCustomerId, 5);
    const path = {
      "another user's invoice": `/invoices/${foreignInvoice}`,
      "an unknown invoice": "/invoices/999999",
      "a malformed id": "/invoices/abc",
      "no token": `/invoices/${foreignInvoice}`,
    }[situation] as string;
    const authorization = situation === "no token" ? undefined : user1;
    await app.expectRejected("DELETE", path, { authorization }, status);
  });
});

describe("DELETE /customers/:id", () => {
  test("removes the customer with its invoices and publishes CustomerDeleted", async () => {
    const customerId = await newCustomer(user1, "1", "Cy");
    await newInvoice(user1, customerId, 40);
    expect((await app.call("DELETE", `/customers/${customerId}`, { authorization: user1 })).status).toBe(204);
    await app.footprint();
    const entry = await lastEntry();
    expect(entry.EventTypeName).toBe("CustomerDeleted");
    expect(JSON.parse(entry.Payload as string)).toMatchObject({ id: customerId, account_id: "1" });
    await app.expectRejected("GET", `/customers/${customerId}`, { authorization: user1 }, 404);
    await app.expectRejected("GET", `/invoices?customer_id=${customerId}`, { authorization: user1 }, 404);
  });

  test("refuses another user's customer with 403 and changes nothing", async () => {
    await app.expectRejected("DELETE", `/customers/${foreignCustomerId}`, { authorization: user1 }, 403);
  });
});

describe("PATCH /customers/:id", () => {
  test("renames the customer and publishes CustomerUpdated", async () => {
    const customerId = await newCustomer(user1, "1", "Old Name");
    const reply = await app.call("PATCH", `/customers/${customerId}`, {
      authorization: user1,
      json: { name: "  New Name " },
    });
    expect(reply.status).toBe(200);
    expect(reply.body.name).toBe("New Name");
    await app.footprint();
    const entry = await lastEntry();
    expect(entry.EventTypeName).toBe("CustomerUpdated");
    expect(JSON.parse(entry.Payload as string)).toMatchObject({ id: customerId, name: "New Name" });
  });

  test.each([
    [{ name: "" }, ["name"]],
    [{ name: 5 }, ["name"]],
    [{}, ["name"]],
    [{ name: "ok", account_id: "2" }, ["account_id"]],
  ])("refuses the body %j with 422 naming %j", async (json, fields) => {
    const customerId = await newCustomer(user1, "1", "Stays");
    await app.expectRejected(
      "PATCH",
      `/customers/${customerId}`,
      { authorization: user1, json },
      422,
      fields,
    );
  });

  test("refuses another user's customer with 403", async () => {
    const send = { authorization: user1, json: { name: "Mine Now" } };
    await app.expectRejected("PATCH", `/customers/${foreignCustomerId}`, send, 403);
  });
});

describe("GET /customers?account_id= and GET /invoices?customer_id=", () => {
  test("walk every customer of an account, and every invoice of a customer, exactly once, page by page", async () => {
    await app.publishAccount(7, "user1");
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await newCustomer(user1, "7", `Paged ${i}`));
    const seen: string[] = [];
    let after = "";
    for (let page = 0; page < 10; page++) {
      const reply = await app.call(
        "GET",
        `/customers?account_id=7&limit=2${after ? `&after=${after}` : ""}`,
        {
          authorization: user1,
        },
      );
      expect(reply.status).toBe(200);
      seen.push(...(reply.body.items as { id: string }[]).map((item) => item.id));
      if (reply.body.next_after === null) break;
      after = reply.body.next_after as string;
    }
    expect(seen).toEqual(ids);

    const invoiceIds = [];
    for (const cents of [1, 2, 3]) invoiceIds.push(await newInvoice(user1, ids[0] as string, cents));
    const first = await app.call("GET", `/invoices?customer_id=${ids[0]}&limit=2`, { authorization: user1 });
    const second = await app.call(
      "GET",
      `/invoices?customer_id=${ids[0]}&limit=2&after=${first.body.next_after}`,
      {
        authorization: user1,
      },
    );
    const listed = [...(first.body.items as { id: string }[]), ...(second.body.items as { id: string }[])];
    expect(listed.map((item) => item.id)).toEqual(invoiceIds);
    expect(second.body.next_after).toBeNull();
  });

  test("a page that is exactly full and the last one has no cursor: no empty page follows", async () => {
    await app.publishAccount(8, "user1");
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await newCustomer(user1, "8", `Exact ${i}`));
    for (const cents of [1, 2]) await newInvoice(user1, ids[0] as string, cents);

    const customers = await app.call("GET", "/customers?account_id=8&limit=3", { authorization: user1 });
    const invoices = await app.call("GET", `/invoices?customer_id=${ids[0]}&limit=2`, {
      authorization: user1,
    });

    expect((customers.body.items as { id: string }[]).map((item) => item.id)).toEqual(ids);
    expect(customers.body.next_after).toBeNull();
    expect(invoices.body.items).toHaveLength(2);
    expect(invoices.body.next_after).toBeNull();
  });

  test.each([
    ["/customers", ["account_id"]],
    ["/customers?account_id=1&limit=0", ["limit"]],
    ["/customers?account_id=1&limit=201", ["limit"]],
    ["/customers?account_id=1&limit=abc", ["limit"]],
    ["/customers?account_id=1&after=x", ["after"]],
    ["/customers?account_id=1&sort=name", ["sort"]],
    ["/invoices?customer_id=abc", ["customer_id"]],
  ])("refuses %s with 422 naming %j", async (path, fields) => {
    const reply = await app.call("GET", path, { authorization: user1 });
    expectProblem(reply, 422, fields);
  });

  test("another user's account or customer is a 403, an unknown one a 404", async () => {
    expectProblem(await app.call("GET", "/customers?account_id=2", { authorization: user1 }), 403);
    expectProblem(await app.call("GET", "/customers?account_id=404", { authorization: user1 }), 404);
    expectProblem(
      await app.call("GET", `/invoices?customer_id=${foreignCustomerId}`, { authorization: user1 }),
      403,
    );
  });
});

describe("an account deleted (AccountDeleted on the stream)", () => {
  test("takes no new customers (422 naming account_id) and is no longer listed", async () => {
    await app.publishAccount(9, "user1");
    await app.publish({
      type: "AccountDeleted",
      payload: { id: "9", owned_by: "user1", deleted_date: new Date().toISOString() },
    });
    const send = { authorization: user1, json: { name: "Too Late", account_id: "9" } };
    await app.expectRejected("POST", "/customers", send, 422, ["account_id"]);
    expectProblem(await app.call("GET", "/customers?account_id=9", { authorization: user1 }), 404);
  });
});

describe("an invoice's currency (InvoiceCreated version 2)", () => {
  test("defaults to USD, is shown, and goes on the stream as version 2", async () => {
    const customerId = await newCustomer(user1, "1", "Dee");
    const json = { customer_id: customerId, purchase_date: "2026-11-24", purchase_price_cents: 9 };
    const reply = await app.call("POST", "/invoices", { authorization: user1, json });
    expect(reply.body.currency).toBe("USD");
    await app.footprint();
    const entry = await lastEntry();
    expect(entry.EventVersion).toBe("2");
    expect(JSON.parse(entry.Payload as string).currency).toBe("USD");
  });

  test("refuses a currency the system does not book yet, naming the field", async () => {
    const customerId = await newCustomer(user1, "1", "Eve");
    const json = {
      customer_id: customerId,
      purchase_date: "2026-11-24",
      purchase_price_cents: 9,
      currency: "EUR",
    };
    await app.expectRejected("POST", "/invoices", { authorization: user1, json }, 422, ["currency"]);
  });
});
