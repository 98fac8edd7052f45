import { describe, expect, test } from "bun:test";
import { readdirSync, statSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { request } from "../support/api";
import { runOps } from "../support/ops";
import { eventually } from "../support/resources";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();

type Jwks = { keys: { kid: string }[] };

const kidOf = (token: string) =>
  (JSON.parse(Buffer.from(token.split(".")[0] ?? "", "base64url").toString()) as { kid: string }).kid;

describe("signing key rotation while both services serve", () => {
  test("old and new tokens both work after a rotation; a forced one cuts off the dropped key's tokens", async () => {
    const system = await systems.start({ env: { JWKS_CACHE_SECONDS: "2" } });
    const createCustomer = (token: string) =>
      request("POST", `${system.customers.url}/customers`, {
        token,
        json: { name: "Rotation Test", account_id: "1" },
      });
    const listAccounts = (token: string) => request("GET", `${system.accounts.url}/accounts`, { token });

    const first = await system.login();
    expect((await createCustomer(first)).status).toBe(201);

    const rotated = await runOps(system.env, ["keys", "rotate"]);
    expect(rotated.code).toBe(0);
    const second = await system.login();
    expect(kidOf(second)).not.toBe(kidOf(first));
    // customers has the first key cached: the new kid makes it fetch the key set again at once.
    expect((await createCustomer(second)).status).toBe(201);
    expect((await createCustomer(first)).status).toBe(201);
    expect((await listAccounts(first)).status).toBe(200);
    const published = await request<Jwks>("GET", `${system.accounts.url}/.well-known/jwks.json`);
    expect(published.body.keys.map((key) => key.kid)).toEqual([kidOf(second), kidOf(first)]);

    const listed = await runOps(system.env, ["keys", "list"]);
    expect(listed.stdout).toContain(`current   ${kidOf(second)}`);
    expect(listed.stdout).toContain(`previous  ${kidOf(first)}`);

    // The current key is younger than the token lifetime: dropping the previous one needs --force.
    const refused = await runOps(system.env, ["keys", "rotate"]);
    expect([refused.code, refused.stderr.includes("--force")]).toEqual([1, true]);
    const forced = await runOps(system.env, ["keys", "rotate", "--force"]);
    expect(forced.code).toBe(0);
    const third = await system.login();
    expect((await createCustomer(third)).status).toBe(201);
    expect((await createCustomer(second)).status).toBe(201);
    expect((await listAccounts(first)).status).toBe(401);
    // customers drops the first key when its cached key set expires (JWKS_CACHE_SECONDS).
    await eventually(
      "customers to refuse the dropped key",
      async () => (await createCustomer(first)).status === 401,
    );
    expect(await createCustomer(third)).toMatchObject({ status: 201 });
  }, 60_000);
});

describe("files under DATA_DIR", () => {
  test("every file the services create is owner-only", async () => {
    const system = await systems.start();
    await system.login();
    const created = readdirSync(system.dataDir).filter((name) => !name.endsWith(".log"));
    expect(created).toEqual(
      expect.arrayContaining([
        "accounts.sqlite",
        "accounts.sqlite-wal",
        "customers.sqlite",
        "accounts-signing-keys.json",
      ]),
    );
    for (const name of created) {
      const mode = statSync(join(system.dataDir, name)).mode & 0o777;
      expect({ name, mode: mode.toString(8) }).toEqual({
        name,
        mode: (statSync(join(system.dataDir, name)).isDirectory() ? 0o700 : 0o600).toString(8),
      });
    }
  }, 60_000);
});

/** A login attempt from `localAddress` (any 127.x.y.z works on Linux loopback). */
function loginFrom(
  url: string,
  localAddress: string,
  password: string,
  forwardedFor?: string,
): Promise<number> {
  const body = JSON.stringify({ username: "user1", password });
  return new Promise((resolve, reject) => {
    const call = httpRequest(
      `${url}/auth/login`,
      {
        method: "POST",
        localAddress,
        headers: {
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body),
          ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    call.on("error", reject);
    call.end(body);
  });
}

describe("login rate limit per client address, on the service's own socket", () => {
  test("the address limit counts one client's attempts and not another's", async () => {
    const system = await systems.start({
      env: { LOGIN_MAX_ATTEMPTS_PER_CLIENT: "3", LOGIN_MAX_FAILURES_PER_USER: "50" },
    });
    for (let i = 0; i < 3; i++) expect(await loginFrom(system.accounts.url, "127.0.0.1", "wrong")).toBe(401);
    expect(await loginFrom(system.accounts.url, "127.0.0.1", "password1")).toBe(429);
    // Without CLIENT_IP_HEADER a client cannot choose its address by header.
    expect(await loginFrom(system.accounts.url, "127.0.0.1", "password1", "198.51.100.7")).toBe(429);
    expect(await loginFrom(system.accounts.url, "127.0.0.2", "password1")).toBe(200);
  }, 60_000);
});

describe("customers while accounts is down", () => {
  // That the keys go on verifying past their cache age is a matter of time passing: the in-process test
  // of remoteSigningKeys (test/shared/http/auth.int.test.ts) moves a clock for it.
  test("keeps verifying tokens with the keys it fetched last", async () => {
    const system = await systems.start({ env: { JWKS_CACHE_SECONDS: "1" } });
    const token = await system.login();
    const create = () =>
      request("POST", `${system.customers.url}/customers`, {
        token,
        json: { name: "Offline", account_id: "1" },
      });
    expect((await create()).status).toBe(201);
    await system.accounts.kill("SIGTERM");
    expect((await create()).status).toBe(201);
    expect((await fetch(`${system.customers.url}/health/live`)).status).toBe(200);
    await system.accounts.restart();
  }, 60_000);
});
