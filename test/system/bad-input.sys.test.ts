import { beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { signingKeyFileOf } from "../../accounts/auth/keys";
import { request } from "../support/api";
import { type AuthProblem, badAuthorization, signingKeyIn, type TokenKeys } from "../support/bad-tokens";
import { expectProblem } from "../support/problems";
import { readServiceDb } from "../support/sqlite";
import { useSystem } from "../support/system";

// Settled before the tests: customers has learnt accounts 1 and 2 from the stream.
const system = useSystem();
let keys: TokenKeys;
let user1: string;
let user2: string;

beforeAll(async () => {
  // The key accounts created on its first start, loaded as accounts loads it, and a key nobody trusts.
  keys = {
    trusted: await signingKeyIn(signingKeyFileOf(system.dataDir)),
    other: await signingKeyIn(join(system.dataDir, "other-signing-keys.json")),
  };
  user1 = await system.login("user1");
  user2 = await system.login("user2");
});

const writes = [
  ["customers", "/customers", { name: "Jane Roe", account_id: "1" }],
  ["customers", "/invoices", { customer_id: "1", purchase_date: "2019-01-01", purchase_price_cents: 100 }],
  ["accounts", "/accounts", { name: "savings" }],
] as const;

const urlOf = (service: "customers" | "accounts", path: string) => `${system[service].url}${path}`;

describe("bad requests to the services as processes", () => {
  test.each(writes)("when the JSON sent to %s %s is malformed: 400", async (service, path) => {
    const reply = await request("POST", urlOf(service, path), {
      token: user1,
      rawBody: '{"name": ',
      headers: { "content-type": "application/json" },
    });
    expectProblem(reply, 400);
  });

  const problems: AuthProblem[] = [
    "the Authorization header is missing",
    "the token is malformed",
    "the token has expired",
    "the token is signed by another key",
    "the token names a foreign kid",
    "the token is HS256 keyed with the public key",
    "the token uses alg none",
    "the token's payload is tampered with",
    "the token is issued in the future",
  ];

  describe.each(writes)("POST to %s %s", (service, path, json) => {
    test.each(problems)("when %s: 401 with a challenge", async (problem) => {
      const authorization = await badAuthorization(problem, keys);
      const headers: Record<string, string> = authorization ? { authorization } : {};
      expectProblem(await request("POST", urlOf(service, path), { json, headers }), 401);
    });
  });

  test("when the account belongs to another user: 403", async () => {
    const reply = await request("POST", urlOf("customers", "/customers"), {
      token: user2,
      json: { name: "Jane Roe", account_id: "1" },
    });
    expectProblem(reply, 403);
  });

  test("when the account is unknown: 422 naming account_id", async () => {
    const reply = await request("POST", urlOf("customers", "/customers"), {
      token: user1,
      json: { name: "Jane Roe", account_id: "999" },
    });
    expectProblem(reply, 422, ["account_id"]);
  });

  test("when the customer of an invoice is unknown: 422 naming customer_id", async () => {
    const reply = await request("POST", urlOf("customers", "/invoices"), {
      token: user1,
      json: { customer_id: "999999", purchase_date: "2019-01-01", purchase_price_cents: 100 },
    });
    expectProblem(reply, 422, ["customer_id"]);
  });

  test("when all of the above were refused: the stream holds only the two AccountCreated entries", async () => {
    await system.settled();
    const entries = await system.redis.client.xrange(system.streamKey, "-", "+");
    const types = entries.map(([, fields]) => fields[fields.indexOf("EventTypeName") + 1]);
    expect(types).toEqual(["AccountCreated", "AccountCreated"]);
    const count = (service: "customers" | "accounts", table: string) =>
      readServiceDb<{ n: number }>(system.dataDir, service, `SELECT count(*) AS n FROM ${table}`)[0]?.n;
    expect({
      customers: count("customers", "customers"),
      invoices: count("customers", "invoices"),
      accounts: count("accounts", "accounts"),
    }).toEqual({ customers: 0, invoices: 0, accounts: 2 });
  });
});
