import { describe, expect, test } from "bun:test";
import { accountViews, login, request } from "../support/api";
import { runOps } from "../support/ops";
import { eventually } from "../support/resources";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();

describe("user", () => {
  test("user add with --account: the user logs in at once and the account reaches customers", async () => {
    const system = await systems.start();
    const password = "correct horse battery";
    const added = await runOps(system.env, ["user", "add", "alice", "--account", "Alice Co"], {
      env: { OPS_PASSWORD: password },
    });
    expect(added.code).toBe(0);
    expect(added.stdout + added.stderr).not.toContain(password);

    const token = await login(system.accounts.url, "alice", password);
    const [view, ...others] = await accountViews(system.accounts.url, token);
    expect(others).toEqual([]);
    expect(view?.account).toMatchObject({ name: "Alice Co", owned_by: "alice" });
    const accountId = String(view?.account.id);
    const customer = await eventually("customers to know alice's account", async () => {
      const reply = await request("POST", `${system.customers.url}/customers`, {
        token,
        json: { name: "Alice's first customer", account_id: accountId },
      });
      return reply.status === 201 ? reply : undefined;
    });
    expect(customer.body.account_id).toBe(accountId);

    const duplicate = await runOps(system.env, ["user", "add", "alice"], {
      env: { OPS_PASSWORD: "another password" },
    });
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toContain('user "alice" already exists');
    expect(await login(system.accounts.url, "alice", password)).toBeString();
  }, 60_000);

  test("user add reads the password from stdin; a short password or a bad username is refused with 2", async () => {
    const system = await systems.start();
    const added = await runOps(system.env, ["user", "add", "carol.c"], {
      stdin: "stdin-password\nnot this\n",
    });
    expect(added.code).toBe(0);
    const token = await login(system.accounts.url, "carol.c", "stdin-password");
    expect(await accountViews(system.accounts.url, token)).toEqual([]);

    const short = await runOps(system.env, ["user", "add", "bob"], { env: { OPS_PASSWORD: "short" } });
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("at least 12 characters");
    const named = await runOps(system.env, ["user", "add", "bob"], {
      env: { OPS_PASSWORD: "bob-the-builder" },
    });
    expect([named.code, named.stderr.includes("must not contain the username")]).toEqual([2, true]);
    const common = await runOps(system.env, ["user", "add", "bob"], {
      env: { OPS_PASSWORD: "Password1234" },
    });
    expect(common).toEqual({
      code: 2,
      stdout: "",
      stderr: "ops: the password is too common\n(npm run ops -- user --help for its usage)\n",
    });
    const refused = await request("POST", `${system.accounts.url}/auth/login`, {
      json: { username: "bob", password: "short" },
    });
    expect(refused.status).toBe(401);
    const empty = await runOps(system.env, ["user", "add", "bob"]);
    expect(empty.code).toBe(2);
    const badName = await runOps(system.env, ["user", "add", "bob smith"], {
      env: { OPS_PASSWORD: "long enough" },
    });
    expect(badName.code).toBe(2);
  }, 60_000);

  test("user passwd: the new password logs in, the old one no longer does, sessions are revoked", async () => {
    const system = await systems.start();
    const session = await request<{ refresh_token: string }>("POST", `${system.accounts.url}/auth/login`, {
      json: { username: "user1", password: "password1" },
    });
    const changed = await runOps(system.env, ["user", "passwd", "user1"], { stdin: "a new password\n" });
    expect(changed.code).toBe(0);
    expect(changed.stdout + changed.stderr).not.toContain("a new password");
    expect(await login(system.accounts.url, "user1", "a new password")).toBeString();
    const old = await request("POST", `${system.accounts.url}/auth/login`, {
      json: { username: "user1", password: "password1" },
    });
    expect(old.status).toBe(401);
    const refreshed = await request("POST", `${system.accounts.url}/auth/refresh`, {
      json: { refresh_token: session.body.refresh_token },
    });
    expect(refreshed.status).toBe(401);

    const unknown = await runOps(system.env, ["user", "passwd", "nobody"], {
      env: { OPS_PASSWORD: "whatever123" },
    });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no user "nobody"');
    const short = await runOps(system.env, ["user", "passwd", "user1"], { env: { OPS_PASSWORD: "1234567" } });
    expect(short.code).toBe(2);
    expect(await login(system.accounts.url, "user1", "a new password")).toBeString();
  }, 60_000);
});
