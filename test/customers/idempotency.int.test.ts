import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { idempotencyKeys } from "../../shared/http/idempotency";
import { useCustomersApp } from "../support/customers-app";

const app = useCustomersApp({ accounts: { 1: "user1", 2: "user2" } });
let user1: string;
let user2: string;
let customerId: string;

beforeAll(async () => {
  [user1, user2] = await Promise.all([app.bearer("user1"), app.bearer("user2")]);
  const customer = await app.call("POST", "/customers", {
    authorization: user1,
    json: { name: "Ida", account_id: "1" },
  });
  customerId = customer.body.id as string;
});

const invoice = (cents = 4200) => ({
  customer_id: customerId,
  purchase_date: "2026-11-24",
  purchase_price_cents: cents,
});

describe("Idempotency-Key on the POST routes", () => {
  test("a retry with the same key and body gets the first response and creates nothing new", async () => {
    const headers = { "idempotency-key": "retry-1" };
    const first = await app.call("POST", "/invoices", { authorization: user1, json: invoice(), headers });
    const after = await app.footprint();
    const retry = await app.call("POST", "/invoices", { authorization: user1, json: invoice(), headers });

    expect(first.status).toBe(201);
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(await app.footprint()).toEqual(after);
  });

  test("the same key with another body is refused with 422 naming the header, and nothing is created", async () => {
    const headers = { "idempotency-key": "retry-2" };
    await app.call("POST", "/invoices", { authorization: user1, json: invoice(100), headers });
    const before = await app.footprint();
    const reused = await app.call("POST", "/invoices", { authorization: user1, json: invoice(200), headers });
    expect(reused.status).toBe(422);
    expect(reused.body.errors).toHaveProperty(["Idempotency-Key"]);
    expect(await app.footprint()).toEqual(before);
  });

  test("concurrent requests with one key create one invoice and all get its response", async () => {
    const headers = { "idempotency-key": "burst-1" };
    const before = await app.footprint();
    const replies = await Promise.all(
      Array.from({ length: 8 }, () =>
        app.call("POST", "/invoices", { authorization: user1, json: invoice(7), headers }),
      ),
    );
    expect(new Set(replies.map((reply) => reply.status))).toEqual(new Set([201]));
    expect(new Set(replies.map((reply) => reply.body.id)).size).toBe(1);
    const after = await app.footprint();
    expect(after.rows.invoices).toBe((before.rows.invoices ?? 0) + 1);
    expect(after.stream).toBe(before.stream + 1);
  });

  test("keys are per user: another user's request with the same key is their own", async () => {
    const headers = { "idempotency-key": "shared-key" };
    const mine = await app.call("POST", "/customers", {
      authorization: user1,
      json: { name: "A", account_id: "1" },
      headers,
    });
    const theirs = await app.call("POST", "/customers", {
      authorization: user2,
      json: { name: "B", account_id: "2" },
      headers,
    });
    expect([mine.status, theirs.status]).toEqual([201, 201]);
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  test("a refused request stores no key: correcting the request and retrying with the key works", async () => {
    const headers = { "idempotency-key": "fix-and-retry" };
    const wrong = await app.call("POST", "/invoices", { authorization: user1, json: invoice(-5), headers });
    expect(wrong.status).toBe(422);
    const right = await app.call("POST", "/invoices", { authorization: user1, json: invoice(5), headers });
    expect(right.status).toBe(201);
  });
});

describe("a key stored by an earlier release, bound to its route string and its request as hashed then", () => {
  const body = { name: "Ida", account_id: "1" };
  // Ids that name nothing: a replay answers before any check.
  const sent = { customer_id: "9000", purchase_date: "2026-11-24", purchase_price_cents: 5 };
  test.each<[string, string, object | undefined, string, object, number]>([
    ["POST", "/customers", body, "POST /customers", body, 201],
    ["POST", "/invoices", sent, "POST /invoices", { ...sent, currency: "USD" }, 201],
    ["PATCH", "/customers/9001", { name: "Ada" }, "PATCH /customers/9001", { name: "Ada" }, 200],
    ["DELETE", "/customers/9002", undefined, "DELETE /customers/9002", {}, 204],
    ["DELETE", "/invoices/9003", undefined, "DELETE /invoices/9003", {}, 204],
  ])(
    "%s %s replays the stored reply and writes nothing",
    async (method, path, json, route, hashed, status) => {
      const key = `stored-${crypto.randomUUID()}`;
      const requestHash = createHash("sha256").update(JSON.stringify(hashed)).digest("hex");
      const stored = { status, body: { stored: route }, createdAt: new Date().toISOString() };
      app.database.db
        .insert(idempotencyKeys)
        .values({ username: "user1", key, route, requestHash, ...stored })
        .run();
      const before = await app.footprint();
      const reply = await app.call(method, path, {
        authorization: user1,
        json,
        headers: { "idempotency-key": key },
      });

      expect([reply.status, reply.headers.get("idempotent-replayed")]).toEqual([status, "true"]);
      expect(reply.body as unknown).toEqual(status === 204 ? "" : { stored: route });
      expect(await app.footprint()).toEqual(before);
    },
  );
});

describe("a body with a __proto__ key", () => {
  test("is refused with the key named among the errors, like any unknown field", async () => {
    const reply = await app.call("POST", "/customers", {
      authorization: user1,
      body: '{"name":"a","account_id":"1","__proto__":{"x":1}}',
      headers: { "content-type": "application/json" },
    });
    expect(reply.status).toBe(422);
    expect(Object.keys(reply.body.errors as object)).toEqual(["__proto__"]);
  });
});
