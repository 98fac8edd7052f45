import { beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { inArray } from "drizzle-orm";
import { idempotencyKeys } from "../../shared/http/idempotency";
import { useAccountsApp } from "../support/accounts-app";
import { type Case, rejects, type Send, unreadableBodies } from "../support/bad-requests";
import { AUTH_PROBLEMS } from "../support/bad-tokens";

const app = useAccountsApp();
let user1: string;

beforeAll(async () => {
  user1 = await app.bearer("user1");
});

const login = (json: Record<string, unknown>) => (): Send => ({ json });
const account = (overrides: Record<string, unknown>) => (): Send => ({
  json: { name: "savings", description: "for later", ...overrides },
});

const loginCases: Case[] = [
  rejects("both fields are missing", 422, ["username", "password"], login({})),
  rejects("the password is missing", 422, ["password"], login({ username: "user1" })),
  rejects("the username is missing", 422, ["username"], login({ password: "password1" })),
  rejects("both fields are empty", 422, ["username", "password"], login({ username: "", password: "" })),
  rejects("the fields are numbers", 422, ["username", "password"], login({ username: 1, password: 2 })),
  rejects("the fields are null", 422, ["username", "password"], login({ username: null, password: null })),
  rejects(
    "the fields are too long",
    422,
    ["username", "password"],
    login({ username: "u".repeat(101), password: "p".repeat(1001) }),
  ),
  rejects(
    "the username holds a control character",
    422,
    ["username"],
    login({ username: "user1\u0000", password: "x" }),
  ),
  rejects(
    "an extra field is sent",
    422,
    ["scope"],
    login({ username: "user1", password: "password1", scope: "*" }),
  ),
];

const accountCases: Case[] = [
  rejects("every field is missing", 422, ["name"], () => ({ json: {} })),
  rejects("name is missing", 422, ["name"], () => ({ json: { description: "no name" } })),
  rejects("name is a number", 422, ["name"], account({ name: 7 })),
  rejects("name is a boolean", 422, ["name"], account({ name: false })),
  rejects("name is null", 422, ["name"], account({ name: null })),
  rejects("name is empty", 422, ["name"], account({ name: "" })),
  rejects("name is whitespace only", 422, ["name"], account({ name: "  \t " })),
  rejects("name has 201 characters", 422, ["name"], account({ name: "n".repeat(201) })),
  rejects("name holds a NUL and an RLO", 422, ["name"], account({ name: "a\u0000c\u202e" })),
  rejects("description holds an RLM", 422, ["description"], account({ description: "a\u200fb" })),
  rejects("description holds a line feed", 422, ["description"], account({ description: "line\nbreak" })),
  rejects("description is a number", 422, ["description"], account({ description: 1 })),
  rejects("description is null", 422, ["description"], account({ description: null })),
  rejects(
    "description has 1001 characters",
    422,
    ["description"],
    account({ description: "d".repeat(1001) }),
  ),
  rejects("the owner is sent", 422, ["owned_by"], account({ owned_by: "user2" })),
  rejects("an id is sent", 422, ["id"], account({ id: 99 })),
  rejects("a revenue total is sent", 422, ["total_revenue_cents"], account({ total_revenue_cents: 5 })),
];

describe.each(["/auth/login", "/accounts"])("POST %s with a body it cannot read", (path) => {
  test.each(unreadableBodies)("when $situation: $status, nothing stored or published", async (c) => {
    await app.expectRejected("POST", path, { authorization: user1, ...c.send() }, c.status, c.fields);
  });
});

describe("POST /auth/login refused", () => {
  test.each(loginCases)("when $situation: $status naming them, nothing stored", async (c) => {
    await app.expectRejected("POST", "/auth/login", c.send(), c.status, c.fields);
  });

  test("when the password is wrong: 401 without a bearer challenge, and no token", async () => {
    const send = { json: { username: "user1", password: "password2" } };
    const reply = await app.expectRejected("POST", "/auth/login", send, 401);
    expect(reply.body.token).toBeUndefined();
  });

  test("when the user is unknown: the same 401 as a wrong password", async () => {
    const wrong = await app.call("POST", "/auth/login", { json: { username: "user1", password: "nope" } });
    const send = { json: { username: "nobody", password: "nope" } };
    const unknown = await app.expectRejected("POST", "/auth/login", send, 401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.headers.get("www-authenticate")).toBe(wrong.headers.get("www-authenticate"));
  });

  test("when the username differs only in case: 401", async () => {
    const send = { json: { username: "USER1", password: "password1" } };
    await app.expectRejected("POST", "/auth/login", send, 401);
  });
});

describe("POST /accounts refused", () => {
  test.each(accountCases)("when $situation: $status naming it, nothing stored or published", async (c) => {
    await app.expectRejected("POST", "/accounts", { authorization: user1, ...c.send() }, c.status, c.fields);
  });

  test.each([
    ["has a space", "has space"],
    ["256 characters long", "k".repeat(256)],
    ["empty", ""],
  ])("when the Idempotency-Key %s: 400 naming it, nothing stored or published", async (_what, key) => {
    const send = { authorization: user1, json: { name: "savings" }, headers: { "idempotency-key": key } };
    await app.expectRejected("POST", "/accounts", send, 400, ["Idempotency-Key"]);
  });

  test("when the Idempotency-Key was used for another account: 422 naming it, nothing stored", async () => {
    const headers = { "idempotency-key": `key-${crypto.randomUUID()}` };
    const first = await app.call("POST", "/accounts", {
      authorization: user1,
      json: { name: "first" },
      headers,
    });
    expect(first.status).toBe(201);
    const send = { authorization: user1, json: { name: "second" }, headers };
    await app.expectRejected("POST", "/accounts", send, 422, ["Idempotency-Key"]);
  });

  test("when the token names a user that does not exist: 401, nothing stored", async () => {
    const send = { authorization: await app.bearer("ghost"), json: { name: "haunted" } };
    await app.expectRejected("POST", "/accounts", send, 401);
  });
});

describe.each([
  "POST /accounts",
  "GET /accounts",
  "GET /accounts/1",
  "DELETE /accounts/1",
  "GET /accounts/1/customers",
])("%s unauthenticated", (route) => {
  const [method = "", path = ""] = route.split(" ");
  test.each(AUTH_PROBLEMS)("when %s: 401 with a challenge, nothing stored or published", async (problem) => {
    const authorization = await app.badAuthorization(problem);
    const send = method === "POST" ? { json: { name: "savings" } } : {};
    await app.expectRejected(method, path, { authorization, ...send }, 401);
  });
});

describe("GET /accounts/:id that the caller cannot read", () => {
  test("when the account belongs to another user: 403", async () => {
    await app.expectRejected("GET", "/accounts/2", { authorization: user1 }, 403);
  });

  test("when the account does not exist: 404", async () => {
    await app.expectRejected("GET", "/accounts/999999", { authorization: user1 }, 404);
  });

  test.each(["abc", "0", "01", "-1", "1.5", "1e3", "9999999999999999"])(
    "when the id is %p: 404",
    async (id) => {
      await app.expectRejected("GET", `/accounts/${encodeURIComponent(id)}`, { authorization: user1 }, 404);
    },
  );
});

describe("DELETE /accounts/:id refused", () => {
  test("when the account belongs to another user: 403, nothing stored or published", async () => {
    await app.expectRejected("DELETE", "/accounts/2", { authorization: user1 }, 403);
  });

  test.each(["999999", "abc", "0", "01", "1.5"])("when the id is %p: 404", async (id) => {
    await app.expectRejected("DELETE", `/accounts/${id}`, { authorization: user1 }, 404);
  });

  test("when the Idempotency-Key is malformed: 400 naming it", async () => {
    const send = { authorization: user1, headers: { "idempotency-key": "has space" } };
    await app.expectRejected("DELETE", "/accounts/1", send, 400, ["Idempotency-Key"]);
  });

  test("when the token names a user that does not exist: 401", async () => {
    await app.expectRejected("DELETE", "/accounts/1", { authorization: await app.bearer("ghost") }, 401);
  });
});

describe("GET /accounts/:id/customers refused", () => {
  test.each([
    ["limit=0", "limit"],
    ["limit=201", "limit"],
    ["limit=ten", "limit"],
    ["after=-4", "after"],
    ["after=1e3", "after"],
    ["limit=0&after=x", "after"],
  ])("when the query is %p: 422 naming %s", async (query, field) => {
    await app.expectRejected("GET", `/accounts/1/customers?${query}`, { authorization: user1 }, 422, [field]);
  });

  test("when the account belongs to another user: 403; when it does not exist: 404", async () => {
    await app.expectRejected("GET", "/accounts/2/customers", { authorization: user1 }, 403);
    await app.expectRejected("GET", "/accounts/999999/customers", { authorization: user1 }, 404);
  });

  test("with no customers: an empty page and no cursor", async () => {
    const reply = await app.call("GET", "/accounts/1/customers", { authorization: user1 });
    expect(reply).toMatchObject({ status: 200, body: { items: [], next_after: null } });
  });
});

describe("DELETE /accounts/:id of an account with no customers", () => {
  test("answers 204, publishes AccountDeleted and the account is gone from the reads", async () => {
    const created = await app.call("POST", "/accounts", {
      authorization: user1,
      json: { name: "short-lived" },
    });
    const id = (created.body.account as { id: number }).id;
    const before = await app.footprint();

    const reply = await app.call("DELETE", `/accounts/${id}`, { authorization: user1 });

    expect(reply.status).toBe(204);
    expect(await app.footprint()).toEqual({ ...before, stream: before.stream + 1 });
    const [last] = await app.redis.client.xrevrange(app.streamKey, "+", "-", "COUNT", 1);
    expect(last?.[1].slice(0, 2)).toEqual(["EventTypeName", "AccountDeleted"]);
    await app.expectRejected("GET", `/accounts/${id}`, { authorization: user1 }, 404);
    const listed = await app.call("GET", "/accounts", { authorization: user1 });
    expect(
      (listed.body as unknown as { account: { id: number } }[]).map((view) => view.account.id),
    ).not.toContain(id);
  });
});

describe("an Idempotency-Key is bound to the route string and the request earlier releases stored", () => {
  test("POST /accounts to the body as parsed, DELETE /accounts/:id to the numeric id", async () => {
    const headers = (key: string) => ({ "idempotency-key": key });
    const created = await app.call("POST", "/accounts", {
      authorization: user1,
      json: { name: "kept" },
      headers: headers("c"),
    });
    const id = (created.body.account as { id: number }).id;
    await app.call("DELETE", `/accounts/${id}`, { authorization: user1, headers: headers("d") });

    const sha256 = (request: unknown) => createHash("sha256").update(JSON.stringify(request)).digest("hex");
    const bound = app.database.db
      .select({ key: idempotencyKeys.key, route: idempotencyKeys.route, hash: idempotencyKeys.requestHash })
      .from(idempotencyKeys)
      .where(inArray(idempotencyKeys.key, ["c", "d"]))
      .all();
    expect(bound).toEqual([
      { key: "c", route: "POST /accounts", hash: sha256({ name: "kept", description: "" }) },
      { key: "d", route: "DELETE /accounts/:id", hash: sha256({ id }) },
    ]);
  });
});

describe("GET /.well-known/jwks.json", () => {
  test("when asked with a bad token: still public, and never shows the private key", async () => {
    const reply = await app.call("GET", "/.well-known/jwks.json", { authorization: "Bearer abc" });
    expect(reply.status).toBe(200);
    const keys = reply.body.keys as Record<string, unknown>[];
    expect(keys.map((key) => key.kid)).toEqual([app.signingKey.kid]);
    expect(keys.filter((key) => "d" in key)).toEqual([]);
  });

  test.each(["POST", "PUT", "DELETE"])(
    "when the method is %s: 404 problem, nothing stored or published",
    async (method) => {
      await app.expectRejected(method, "/.well-known/jwks.json", { json: { keys: [] } }, 404);
    },
  );
});

describe("the checks above can see a write", () => {
  test("when the account is valid: 201, one row and one stream entry", async () => {
    const before = await app.footprint();
    const reply = await app.call("POST", "/accounts", { authorization: user1, json: { name: "control" } });
    expect(reply.status).toBe(201);
    const rows = { ...before.rows, accounts: (before.rows.accounts ?? 0) + 1 };
    expect(await app.footprint()).toEqual({ ...before, rows, stream: before.stream + 1 });
  });
});
