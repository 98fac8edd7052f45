import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { refreshTokens } from "../../../accounts/tables";
import { SECURITY_HEADERS } from "../../../shared/http/conventions";
import { useAccountsApp } from "../../support/accounts-app";
import { rejects } from "../../support/bad-requests";
import { expectProblem } from "../../support/problems";

const app = useAccountsApp();

type Tokens = { token: string; refresh_token: string; expires_in: number; refresh_expires_in: number };

async function logIn(username = "user1", password = "password1"): Promise<Tokens> {
  const reply = await app.call("POST", "/auth/login", { json: { username, password } });
  expect(reply.status).toBe(200);
  return reply.body as unknown as Tokens;
}

const refresh = (refreshToken: string) =>
  app.call("POST", "/auth/refresh", { json: { refresh_token: refreshToken } });

const accountsOf = (token: string) => app.call("GET", "/accounts", { authorization: `Bearer ${token}` });

describe("POST /auth/login", () => {
  test("answers a short-lived access token and a refresh token, stored only as a hash", async () => {
    const tokens = await logIn();
    expect(tokens.expires_in).toBe(600);
    expect(tokens.refresh_expires_in).toBe(3600);
    expect(tokens.refresh_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await accountsOf(tokens.token)).status).toBe(200);
    const stored = app.database.db.select().from(refreshTokens).all();
    expect(stored.some((row) => row.tokenHash === tokens.refresh_token)).toBe(false);
    expect(stored.every((row) => /^[0-9a-f]{64}$/.test(row.tokenHash))).toBe(true);
  });
});

describe("POST /auth/refresh", () => {
  test("swaps the refresh token for a new pair that works", async () => {
    const first = await logIn();
    const reply = await refresh(first.refresh_token);
    expect(reply.status).toBe(200);
    const second = reply.body as unknown as Tokens;
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect((await accountsOf(second.token)).status).toBe(200);
    expect((await refresh(second.refresh_token)).status).toBe(200);
  });

  test("when a used refresh token comes back: 401, and its whole family is revoked", async () => {
    const stolen = (await logIn()).refresh_token;
    const legitimate = (await refresh(stolen)).body as unknown as Tokens;
    const replay = await refresh(stolen);
    expectProblem(replay, 401, [], "/auth/refresh");
    // The thief's replay also ends the session the legitimate client holds.
    expectProblem(await refresh(legitimate.refresh_token), 401, [], "/auth/refresh");
    // Another login of the same user is a separate family and unaffected.
    expect((await refresh((await logIn()).refresh_token)).status).toBe(200);
  });

  test("refreshing never extends the login, and keeps no more than the last used token", async () => {
    const first = await logIn();
    let current = first;
    for (let i = 0; i < 3; i++) {
      app.clock.advance(1100);
      current = (await refresh(current.refresh_token)).body as unknown as Tokens;
    }
    expect(current.refresh_expires_in).toBeLessThanOrEqual(first.refresh_expires_in - 3);
    const hashOf = (token: string) => createHash("sha256").update(token).digest("hex");
    const rows = app.database.db.select().from(refreshTokens).all();
    const familyId = rows.find((row) => row.tokenHash === hashOf(current.refresh_token))?.familyId;
    const family = rows.filter((row) => row.familyId === familyId);
    expect(family.map((row) => row.revokedAt === null).sort()).toEqual([false, true]);
    expect(new Set(family.map((row) => row.expiresAt)).size).toBe(1);
    // The first token is forgotten: refused, but it no longer ends the login it came from.
    expectProblem(await refresh(first.refresh_token), 401, [], "/auth/refresh");
    expect((await refresh(current.refresh_token)).status).toBe(200);
  }, 20_000);

  test("when the refresh token is unknown: 401 without a bearer challenge", async () => {
    const reply = await refresh("A".repeat(43));
    expectProblem(reply, 401, [], "/auth/refresh");
  });

  test("when the refresh token has expired: 401", async () => {
    const tokens = await logIn();
    app.database.db
      .update(refreshTokens)
      .set({ expiresAt: new Date(app.clock.now().getTime() - 1000).toISOString() })
      .run();
    expectProblem(await refresh(tokens.refresh_token), 401, [], "/auth/refresh");
  });

  const badBodies = [
    rejects("the body is empty JSON", 422, ["refresh_token"], () => ({ json: {} })),
    rejects("refresh_token is a number", 422, ["refresh_token"], () => ({ json: { refresh_token: 5 } })),
    rejects("refresh_token is empty", 422, ["refresh_token"], () => ({ json: { refresh_token: "" } })),
    rejects("refresh_token is huge", 422, ["refresh_token"], () => ({
      json: { refresh_token: "a".repeat(201) },
    })),
    rejects("an extra field is sent", 422, ["username"], () => ({
      json: { refresh_token: "a", username: "u" },
    })),
    rejects("the body is form data", 415, ["body"], () => ({
      body: "refresh_token=a",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    })),
  ];
  test.each(badBodies.map((c) => [c.situation, c] as const))(
    "when %s: 4xx, nothing changes",
    async (_, c) => {
      await app.expectRejected("POST", "/auth/refresh", c.send(), c.status, c.fields);
    },
  );
});

describe("POST /auth/logout", () => {
  test("revokes the refresh token: 204, and it no longer refreshes", async () => {
    const tokens = await logIn();
    const reply = await app.call("POST", "/auth/logout", { json: { refresh_token: tokens.refresh_token } });
    expect(reply.status).toBe(204);
    expectProblem(await refresh(tokens.refresh_token), 401, [], "/auth/refresh");
  });

  test("revokes the tokens refreshed from the same login too", async () => {
    const first = await logIn();
    const second = (await refresh(first.refresh_token)).body as unknown as Tokens;
    expect(
      (await app.call("POST", "/auth/logout", { json: { refresh_token: first.refresh_token } })).status,
    ).toBe(204);
    expectProblem(await refresh(second.refresh_token), 401, [], "/auth/refresh");
  });

  test("when the token is unknown: still 204 (nothing to tell an attacker)", async () => {
    const reply = await app.call("POST", "/auth/logout", { json: { refresh_token: "nope" } });
    expect(reply.status).toBe(204);
  });

  test("when the body is malformed: 422 naming the field", async () => {
    await app.expectRejected("POST", "/auth/logout", { json: { token: "x" } }, 422, [
      "refresh_token",
      "token",
    ]);
  });
});

describe("security headers", () => {
  test.each([
    ["GET", "/accounts", "a JSON answer", true],
    ["GET", "/accounts/999999", "a 404 problem", true],
    ["GET", "/no/such/route", "an unmatched route", false],
    ["POST", "/auth/login", "a 422 problem", false],
    ["GET", "/accounts?limit=1&limit=2", "a repeated query parameter", true],
  ] as const)("%s %s (%s) carries every security header", async (method, path, _what, authenticated) => {
    const reply = await app.call(method, path, {
      authorization: authenticated ? await app.bearer("user1") : undefined,
      json: method === "POST" ? {} : undefined,
    });
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(reply.headers.get(name)).toBe(value);
  });

  test("the public key set may be cached, unlike everything else", async () => {
    const reply = await app.call("GET", "/.well-known/jwks.json");
    expect(reply.headers.get("cache-control")).toBe("public, max-age=60");
    expect(reply.headers.get("x-content-type-options")).toBe("nosniff");
  });
});

describe("repeated query parameters", () => {
  test.each([
    "/accounts/1/customers?limit=500&limit=5",
    "/accounts/1/customers?limit=5&limit=500",
    "/accounts?x=1&x=1",
  ])("%s: 422 naming the parameter, whichever value comes last", async (path) => {
    const reply = await app.call("GET", path, { authorization: await app.bearer("user1") });
    expectProblem(reply, 422, [path.includes("limit") ? "limit" : "x"]);
  });
});
