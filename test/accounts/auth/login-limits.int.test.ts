import { describe, expect, test } from "bun:test";
import { useAccountsApp } from "../../support/accounts-app";
import { expectProblem } from "../../support/problems";

const app = useAccountsApp({
  loginLimits: { windowSeconds: 120, maxFailuresPerUser: 3, maxAttemptsPerClient: 6 },
  clientIpHeader: "x-forwarded-for",
});

const attempt = (client: string, username: string, password: string) =>
  app.call("POST", "/auth/login", {
    json: { username, password },
    headers: { "x-forwarded-for": `203.0.113.250, ${client}` },
  });

function expectThrottled(reply: Awaited<ReturnType<typeof attempt>>) {
  expectProblem(reply, 429, [], "/auth/login");
  const retryAfter = Number(reply.headers.get("retry-after"));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120).toBe(true);
}

describe("login rate limits", () => {
  test("after 3 wrong passwords a user is refused with 429 and Retry-After, even with the right one", async () => {
    for (let i = 0; i < 3; i++) expect((await attempt("198.51.100.1", "user1", "wrong")).status).toBe(401);
    expectThrottled(await attempt("198.51.100.1", "user1", "password1"));
    // From another address too: the limit protects the user, not the address.
    expectThrottled(await attempt("198.51.100.2", "user1", "password1"));
    // Another user is not affected.
    expect((await attempt("198.51.100.1", "user2", "password2")).status).toBe(200);
  });

  test("a right password before the limit clears the user's failures", async () => {
    for (let i = 0; i < 2; i++) expect((await attempt("198.51.100.3", "user2", "wrong")).status).toBe(401);
    expect((await attempt("198.51.100.3", "user2", "password2")).status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await attempt("198.51.100.3", "user2", "wrong")).status).toBe(401);
    expect((await attempt("198.51.100.3", "user2", "password2")).status).toBe(200);
  });

  test("after 6 attempts from one address, across usernames, that address is refused; others are not", async () => {
    for (let i = 0; i < 6; i++) {
      expect((await attempt("192.0.2.9", `nobody-${i}`, "wrong")).status).toBe(401);
    }
    expectThrottled(await attempt("192.0.2.9", "user2", "password2"));
    expect((await attempt("192.0.2.10", "user2", "password2")).status).toBe(200);
  });

  test("a throttled login is not checked, stores nothing and issues no session", async () => {
    for (let i = 0; i < 6; i++) await attempt("192.0.2.77", `ghost-${i}`, "wrong");
    const before = await app.footprint();
    expectThrottled(await attempt("192.0.2.77", "user2", "password2"));
    expect(await app.footprint()).toEqual(before);
  });
});

describe("login rate limits under concurrency", () => {
  test("guesses sent all at once still get at most the limit of password checks", async () => {
    const guesses = await Promise.all(
      Array.from({ length: 30 }, () =>
        attempt(`198.51.100.${100 + Math.floor(Math.random() * 100)}`, "user1-concurrent", "wrong"),
      ),
    );
    const statuses = guesses.map((reply) => reply.status);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(3);
    expect(statuses.filter((status) => status === 429).length).toBeGreaterThanOrEqual(27);
  });
});

describe("refresh rate limit", () => {
  test("after the per-address limit of refreshes, 429 with Retry-After; another address goes on", async () => {
    const refreshFrom = (client: string) =>
      app.call("POST", "/auth/refresh", {
        json: { refresh_token: "not-a-token" },
        headers: { "x-forwarded-for": client },
      });
    for (let i = 0; i < 6; i++) expect((await refreshFrom("192.0.2.200")).status).toBe(401);
    expectThrottled(await refreshFrom("192.0.2.200"));
    expect((await refreshFrom("192.0.2.201")).status).toBe(401);
  });
});
