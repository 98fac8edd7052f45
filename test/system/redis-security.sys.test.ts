import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import Redis from "ioredis";
import { request } from "../support/api";
import { eventually, freePort, type TestRedis, tempDir } from "../support/resources";
import { readiness, startService } from "../support/services";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();
const PASSWORD = "acl-secret-7f3a9c";

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with the openssl CLI. */
function certificates(dir: string) {
  const openssl = (...args: string[]) => {
    const result = Bun.spawnSync(["openssl", ...args], { cwd: dir, stderr: "pipe" });
    if (result.exitCode !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr.toString()}`);
  };
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca");
  writeFileSync(join(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\n");
  for (const name of ["server", "client"]) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${name}`);
    const extensions = name === "server" ? ["-extfile", "server.ext"] : [];
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      `${name}.crt`,
      ...extensions,
    );
  }
  return Object.fromEntries(
    ["ca.crt", "server.crt", "server.key", "client.crt", "client.key"].map((file) => [file, join(dir, file)]),
  ) as Record<"ca.crt" | "server.crt" | "server.key" | "client.crt" | "client.key", string>;
}

/**
 * A redis-server reachable only over TLS with a client certificate, where the default user is disabled
 * and only the ACL user `app` may connect.
 */
async function startSecuredRedis(): Promise<TestRedis & { files: ReturnType<typeof certificates> }> {
  const dir = tempDir("streamledger-redis-tls-");
  const files = certificates(dir.path);
  const port = freePort();
  const child: Subprocess = Bun.spawn(
    [
      "redis-server",
      "--port",
      "0",
      "--tls-port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--tls-cert-file",
      files["server.crt"],
      "--tls-key-file",
      files["server.key"],
      "--tls-ca-cert-file",
      files["ca.crt"],
      "--tls-auth-clients",
      "yes",
      "--user",
      "default",
      "off",
      "--user",
      "app",
      "on",
      `>${PASSWORD}`,
      "~*",
      "&*",
      "+@all",
      "--dir",
      dir.path,
      "--save",
      "",
    ],
    { stdout: "ignore", stderr: "inherit" },
  );
  const tls = {
    ca: readFileSync(files["ca.crt"]),
    cert: readFileSync(files["client.crt"]),
    key: readFileSync(files["client.key"]),
  };
  const url = `rediss://app:${PASSWORD}@127.0.0.1:${port}`;
  const client = new Redis(url, { tls, maxRetriesPerRequest: null });
  client.on("error", () => {});
  await eventually("the TLS redis-server to answer", async () => (await client.ping()) === "PONG");
  const stop = async () => {
    client.disconnect();
    child.kill("SIGKILL");
    await child.exited;
    dir.remove();
  };
  return {
    url,
    port,
    client,
    files,
    stop,
    kill: stop,
    restart: () => Promise.reject(new Error("not needed")),
  };
}

describe("Redis with TLS (client certificates) and an ACL user", () => {
  test("the whole system runs over rediss:// as the ACL user, and the password never reaches a log", async () => {
    const redis = await startSecuredRedis();
    systems.defer(() => redis.stop());
    const plain = await eventually("a plain connection to be refused", async () => {
      const probe = new Redis(`redis://127.0.0.1:${redis.port}`, {
        maxRetriesPerRequest: 0,
        lazyConnect: true,
      });
      probe.on("error", () => {});
      try {
        await probe.ping();
        return "answered";
      } catch {
        return "refused";
      } finally {
        probe.disconnect();
      }
    });
    expect(plain).toBe("refused");

    const system = await systems.system(redis, {
      REDIS_TLS_CA: redis.files["ca.crt"],
      REDIS_TLS_CERT: redis.files["client.crt"],
      REDIS_TLS_KEY: redis.files["client.key"],
    });
    const token = await system.login();
    const customer = await eventually("customers to learn account 1 over TLS", async () => {
      const reply = await request<{ id: string }>("POST", `${system.customers.url}/customers`, {
        token,
        json: { name: "Over TLS", account_id: "1" },
      });
      return reply.status === 201 ? reply.body : undefined;
    });
    const invoice = await request("POST", `${system.customers.url}/invoices`, {
      token,
      json: { customer_id: customer.id, purchase_date: "2026-11-24", purchase_price_cents: 4200 },
    });
    expect(invoice.status).toBe(201);
    await eventually("accounts to count the invoice", async () => {
      const accounts = await request<{ total_revenue_cents: number }[]>(
        "GET",
        `${system.accounts.url}/accounts`,
        {
          token,
        },
      );
      return accounts.body[0]?.total_revenue_cents === 4200;
    });
    for (const service of [system.accounts, system.customers]) {
      const ready = await fetch(`${service.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(readFileSync(service.logFile, "utf8")).not.toContain(PASSWORD);
    }
  }, 60_000);

  test("with a wrong ACL password a service is not ready and says why, without the password", async () => {
    const redis = await startSecuredRedis();
    systems.defer(() => redis.stop());
    const dir = tempDir("streamledger-acl-");
    systems.defer(() => dir.remove());
    const wrong = "not-the-password-123";
    const port = freePort();
    const accounts = await startService("accounts", {
      REDIS_URL: `rediss://app:${wrong}@127.0.0.1:${redis.port}`,
      REDIS_TLS_CA: redis.files["ca.crt"],
      REDIS_TLS_CERT: redis.files["client.crt"],
      REDIS_TLS_KEY: redis.files["client.key"],
      DATA_DIR: dir.path,
      ACCOUNTS_PORT: String(port),
    });
    systems.defer(() => accounts.kill("SIGTERM"));
    expect(await readiness(accounts)).toBe(503);
    const log = await eventually("the log to name the refusal", () => {
      const text = readFileSync(accounts.logFile, "utf8");
      return /WRONGPASS|NOAUTH|invalid username-password/i.test(text) ? text : undefined;
    });
    expect(log).not.toContain(wrong);
  }, 60_000);
});
