import { beforeAll, describe, expect, test } from "bun:test";
import { useAccountsApp } from "../../support/accounts-app";
import { type Send, unreadableBodies } from "../../support/bad-requests";
import { AUTH_PROBLEMS } from "../../support/bad-tokens";
import { useCustomersApp } from "../../support/customers-app";
import { expectOwnWords, expectProblem } from "../../support/problems";

// Every problem body the bad-input catalogues draw from the two apps says what is wrong in the project's
// words: no zod, jose, Elysia or parser message reaches a client (they stay in the logs).
const accounts = useAccountsApp();
const customers = useCustomersApp({ accounts: { 1: "user1" } });
const tokens: Record<"accounts" | "customers", string> = { accounts: "", customers: "" };

beforeAll(async () => {
  tokens.accounts = await accounts.bearer("user1");
  tokens.customers = await customers.bearer("user1");
});

type Service = "accounts" | "customers";
const harness = (service: Service) => (service === "accounts" ? accounts : customers);

/** Values of every wrong kind for a field: zod's own messages name the type it expected and received. */
const WRONG_VALUES: unknown[] = [
  1,
  1.5,
  -1,
  1e21,
  true,
  null,
  [],
  ["x"],
  {},
  { $gt: "" },
  "",
  " ",
  "x".repeat(5000),
];
const WRONG_BODIES: unknown[] = [[], [{}], "x", 42, true];

const writes: [Service, string, string, string[]][] = [
  ["customers", "POST", "/customers", ["name", "account_id"]],
  ["customers", "POST", "/invoices", ["customer_id", "purchase_date", "purchase_price_cents", "currency"]],
  ["customers", "PATCH", "/customers/1", ["name"]],
  ["accounts", "POST", "/auth/login", ["username", "password"]],
  ["accounts", "POST", "/auth/refresh", ["refresh_token"]],
  ["accounts", "POST", "/auth/logout", ["refresh_token"]],
  ["accounts", "POST", "/accounts", ["name", "description"]],
];

const reads: [Service, string][] = [
  ["customers", "/customers?account_id=1"],
  ["customers", "/invoices?customer_id=1"],
  ["customers", "/customers/1"],
  ["accounts", "/accounts"],
  ["accounts", "/accounts/1"],
  ["accounts", "/accounts/1/customers"],
];

/** Sends a bad request: no 5xx, and a refusal is a problem in the project's words. */
async function expectRefusedInOwnWords(service: Service, method: string, path: string, send: Send) {
  const reply = await harness(service).call(method, path, { authorization: tokens[service], ...send });
  expect({ path, serverError: reply.status >= 500 }).toEqual({ path, serverError: false });
  // A value that happens to be valid (a blank refresh token to log out) is answered as such.
  if (reply.status < 400) return;
  expectProblem(reply, reply.status, [], path);
  expectOwnWords(reply.body, `${method} ${path} ${JSON.stringify(send.json ?? send.body ?? "")}`);
}

describe.each(writes)("%s %s %s refused in the project's words", (service, method, path, fields) => {
  test.each(fields)("when %s has a value of the wrong kind", async (field) => {
    for (const value of WRONG_VALUES) {
      await expectRefusedInOwnWords(service, method, path, { json: { [field]: value } });
    }
  });

  test("when the body is not an object, or names an unknown field", async () => {
    for (const json of [...WRONG_BODIES, { unknown: 1 }, { ["__proto__"]: {} }]) {
      await expectRefusedInOwnWords(service, method, path, { json });
    }
  });

  test.each(unreadableBodies)("when $situation", async (c) => {
    await expectRefusedInOwnWords(service, method, path, c.send());
  });
});

describe.each(reads)("%s GET %s refused in the project's words", (service, path) => {
  test.each(AUTH_PROBLEMS)("when %s", async (problem) => {
    const authorization = await harness(service).badAuthorization(problem);
    const reply = await harness(service).call("GET", path, { authorization });
    expectProblem(reply, 401, [], path);
  });

  test("when the query is wrong in every way", async () => {
    const base = path.includes("?") ? `${path}&` : `${path}?`;
    for (const query of ["limit=0", "limit=abc", "limit=99999", "after=-1", "after=1.5", "unknown=1"]) {
      await expectRefusedInOwnWords(service, "GET", `${base}${query}`, {});
    }
  });
});

describe("other refusals in the project's words", () => {
  test.each([
    ["customers", "GET", "/nowhere"],
    ["accounts", "DELETE", "/auth/login"],
    ["customers", "GET", "/customers/abc"],
    ["accounts", "GET", "/accounts/99999"],
  ] as const)("%s %s %s", async (service, method, path) => {
    await expectRefusedInOwnWords(service, method, path, {});
  });

  test("a bad Idempotency-Key", async () => {
    for (const key of ["", "has space", "k".repeat(256), "clé"]) {
      const send = { json: { name: "x", account_id: "1" }, headers: { "idempotency-key": key } };
      await expectRefusedInOwnWords("customers", "POST", "/customers", send);
    }
  });
});
