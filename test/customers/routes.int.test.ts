import { beforeAll, describe, expect, test } from "bun:test";
import { type Case, rejects, type Send, unreadableBodies } from "../support/bad-requests";
import { AUTH_PROBLEMS } from "../support/bad-tokens";
import { useCustomersApp } from "../support/customers-app";
import { expectProblem } from "../support/problems";

const app = useCustomersApp({ accounts: { 1: "user1", 2: "user2" } });
let user1: string;
let ownCustomerId: string;
let foreignCustomerId: string;

beforeAll(async () => {
  user1 = await app.bearer("user1");
  const own = await app.call("POST", "/customers", { authorization: user1, json: newCustomer() });
  const foreign = await app.call("POST", "/customers", {
    authorization: await app.bearer("user2"),
    json: newCustomer({ account_id: "2" }),
  });
  expect([own.status, foreign.status]).toEqual([201, 201]);
  ownCustomerId = own.body.id as string;
  foreignCustomerId = foreign.body.id as string;
});

function newCustomer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "Jane Roe", account_id: "1", ...overrides };
}

function newInvoice(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { customer_id: ownCustomerId, purchase_date: "2019-01-01", purchase_price_cents: 100, ...overrides };
}

const customer = (overrides: Record<string, unknown>) => (): Send => ({ json: newCustomer(overrides) });
const invoice = (overrides: Record<string, unknown>) => (): Send => ({ json: newInvoice(overrides) });
const invoiceWithout = (field: string) => (): Send => {
  const { [field]: _omitted, ...rest } = newInvoice();
  return { json: rest };
};
const show = (value: unknown) => JSON.stringify(value);

const badIds = ["abc", "0", "01", "-1", "1.5", "1e3", " 1", "", "9999999999999999", 1, null];

const customerCases: Case[] = [
  rejects("both fields are missing", 422, ["name", "account_id"], () => ({ json: {} })),
  rejects("name is missing", 422, ["name"], () => ({ json: { account_id: "1" } })),
  rejects("an extra field is sent", 422, ["owned_by"], customer({ owned_by: "user1" })),
  rejects("name is a boolean", 422, ["name"], customer({ name: true })),
  rejects("name is null", 422, ["name"], customer({ name: null })),
  rejects("name is empty", 422, ["name"], customer({ name: "" })),
  rejects("name is whitespace only", 422, ["name"], customer({ name: " \t\n " })),
  rejects("name has 201 characters", 422, ["name"], customer({ name: "n".repeat(201) })),
  rejects("name holds a NUL and an RLO", 422, ["name"], customer({ name: "a\u0000c\u202e" })),
  rejects("name holds a C1 control", 422, ["name"], customer({ name: "a\u0085b" })),
  rejects("name holds a bidirectional isolate", 422, ["name"], customer({ name: "\u2067abc" })),
  ...badIds.map((id) =>
    rejects(`account_id is ${show(id)}`, 422, ["account_id"], customer({ account_id: id })),
  ),
  rejects("account_id names no known account", 422, ["account_id"], customer({ account_id: "999" })),
  rejects("the account belongs to another user", 403, [], customer({ account_id: "2" })),
];

const badDates = ["2019-02-30", "2019-02-29", "2019-13-01", "2019-00-10", "19-01-01", "2019-1-1"];
const invoiceFields = ["customer_id", "purchase_date", "purchase_price_cents"];

const invoiceCases: Case[] = [
  rejects("every field is missing", 422, invoiceFields, () => ({ json: {} })),
  ...invoiceFields.map((field) => rejects(`${field} is missing`, 422, [field], invoiceWithout(field))),
  rejects("an extra field is sent", 422, ["account_id"], invoice({ account_id: "1" })),
  ...[-1, 0, 1.5, 1e20, 10_000_000_001, "100", null, true].map((cents) =>
    rejects(
      `purchase_price_cents is ${show(cents)}`,
      422,
      ["purchase_price_cents"],
      invoice({ purchase_price_cents: cents }),
    ),
  ),
  ...[...badDates, "2019-01-01T00:00:00Z", "not a date", "", 20190101].map((date) =>
    rejects(`purchase_date is ${show(date)}`, 422, ["purchase_date"], invoice({ purchase_date: date })),
  ),
  ...badIds.map((id) =>
    rejects(`customer_id is ${show(id)}`, 422, ["customer_id"], invoice({ customer_id: id })),
  ),
  rejects("customer_id names no known customer", 422, ["customer_id"], invoice({ customer_id: "999999" })),
  rejects("the customer belongs to another user", 403, [], () => ({
    json: newInvoice({ customer_id: foreignCustomerId }),
  })),
];

describe.each(["/customers", "/invoices"])("POST %s with a body it cannot read", (path) => {
  test.each(unreadableBodies)("when $situation: $status, nothing stored or published", async (c) => {
    await app.expectRejected("POST", path, { authorization: user1, ...c.send() }, c.status, c.fields);
  });
});

describe("POST /customers with invalid fields", () => {
  test.each(customerCases)("when $situation: $status, nothing stored or published", async (c) => {
    await app.expectRejected("POST", "/customers", { authorization: user1, ...c.send() }, c.status, c.fields);
  });
});

describe("POST /invoices with invalid fields", () => {
  test.each(invoiceCases)("when $situation: $status, nothing stored or published", async (c) => {
    await app.expectRejected("POST", "/invoices", { authorization: user1, ...c.send() }, c.status, c.fields);
  });
});

describe.each(["POST /customers", "POST /invoices", "GET /customers/:id"])("%s unauthenticated", (route) => {
  const [method = "", path = ""] = route.split(" ");
  test.each(AUTH_PROBLEMS)("when %s: 401 with a challenge, nothing stored or published", async (problem) => {
    const authorization = await app.badAuthorization(problem);
    const json = path === "/customers" ? newCustomer() : newInvoice();
    const send = method === "POST" ? { authorization, json } : { authorization };
    await app.expectRejected(method, path.replace(":id", ownCustomerId), send, 401);
  });
});

describe("GET /customers/:id that the caller cannot read", () => {
  test("when the customer does not exist: 404", async () => {
    await app.expectRejected("GET", "/customers/999999", { authorization: user1 }, 404);
  });

  test("when the customer belongs to another user: 403", async () => {
    await app.expectRejected("GET", `/customers/${foreignCustomerId}`, { authorization: user1 }, 403);
  });

  test.each(["abc", "0", "01", "-1", "1.5", "1e3", "9999999999999999"])(
    "when the id is %p: 404",
    async (id) => {
      await app.expectRejected("GET", `/customers/${encodeURIComponent(id)}`, { authorization: user1 }, 404);
    },
  );
});

describe("POST /customers with a bad Idempotency-Key", () => {
  test.each([
    ["has a space", "has space"],
    ["256 characters long", "k".repeat(256)],
    ["empty", ""],
    ["not ASCII", "clé"],
  ])("when the key is %s: 400 naming it, nothing stored or published", async (_what, key) => {
    const send = { authorization: user1, json: newCustomer(), headers: { "idempotency-key": key } };
    await app.expectRejected("POST", "/customers", send, 400, ["Idempotency-Key"]);
  });

  test("when the key was used for another request: 422 naming it, nothing stored or published", async () => {
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    const first = await app.call("POST", "/customers", {
      authorization: user1,
      json: newCustomer(),
      headers,
    });
    expect(first.status).toBe(201);
    const send = { authorization: user1, json: newCustomer({ name: "Someone Else" }), headers };
    await app.expectRejected("POST", "/customers", send, 422, ["Idempotency-Key"]);
    await app.expectRejected(
      "POST",
      "/invoices",
      { authorization: user1, json: newInvoice(), headers },
      422,
      ["Idempotency-Key"],
    );
  });

  test("when a refused request carried a key: the key stays free for the corrected request", async () => {
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    const refused = { authorization: user1, json: newCustomer({ account_id: "999" }), headers };
    await app.expectRejected("POST", "/customers", refused, 422, ["account_id"]);
    const corrected = await app.call("POST", "/customers", {
      authorization: user1,
      json: newCustomer(),
      headers,
    });
    expect(corrected.status).toBe(201);
  });
});

describe("the checks above can see a write", () => {
  test("when the invoice is valid: 201, one row and one stream entry", async () => {
    const before = await app.footprint();
    const reply = await app.call("POST", "/invoices", { authorization: user1, json: newInvoice() });
    expect(reply.status).toBe(201);
    const rows = { ...before.rows, invoices: (before.rows.invoices ?? 0) + 1 };
    expect(await app.footprint()).toEqual({ ...before, rows, stream: before.stream + 1 });
  });

  test("when the content type only starts with application/json: 415", async () => {
    const headers = { "content-type": "application/jsonx" };
    const reply = await app.call("POST", "/customers", {
      authorization: user1,
      body: show(newCustomer()),
      headers,
    });
    expectProblem(reply, 415, ["body"]);
  });
});
