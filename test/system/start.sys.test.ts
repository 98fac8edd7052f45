import { describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";
import { login, request } from "../support/api";
import { cleanupAfterEach } from "../support/lifecycle";
import { eventually, freePort, tempDir } from "../support/resources";
import { SERVICE_RUNTIME, serviceCommand } from "../support/services";

const ROOT = join(import.meta.dir, "..", "..");
const cleanups = cleanupAfterEach();

function startCommand(env: Record<string, string>) {
  const dir = tempDir("streamledger-start-");
  cleanups.push(dir.remove);
  const accountsPort = freePort();
  const ports = { accounts: accountsPort, customers: freePort(), redis: freePort() };
  const child = Bun.spawn(serviceCommand(join(ROOT, "scripts", "start.ts")), {
    cwd: ROOT,
    env: {
      ...process.env,
      DATA_DIR: dir.path,
      ACCOUNTS_PORT: String(ports.accounts),
      CUSTOMERS_PORT: String(ports.customers),
      ACCOUNTS_URL: `http://127.0.0.1:${accountsPort}`,
      LOCAL_REDIS_PORT: String(ports.redis),
      LOG_LEVEL: "warn",
      REDIS_URL: "",
      ...env,
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  cleanups.push(() => child.kill("SIGKILL"));
  return { child, ports, dataDir: dir.path };
}

async function portIsClosed(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return false;
  } catch {
    return true;
  }
}

describe("npm start (scripts/start.ts)", () => {
  test("runs Redis and both services; Ctrl-C (SIGINT) stops all three and exits 0", async () => {
    const { child, ports, dataDir } = startCommand({});
    const accounts = `http://127.0.0.1:${ports.accounts}`;
    const customers = `http://127.0.0.1:${ports.customers}`;
    await eventually("both services up", async () => {
      const replies = await Promise.all([fetch(`${accounts}/health`), fetch(`${customers}/health`)]);
      return replies.every((reply) => reply.ok);
    });
    // The services run on the runtime that runs the start script (npm start, start:node, start:deno).
    const health = (await (await fetch(`${accounts}/health`)).json()) as { runtime: { name: string } };
    expect(health.runtime.name).toBe(SERVICE_RUNTIME);
    const token = await login(accounts, "user1", "password1");
    const customer = await eventually("customers to know account 1", async () => {
      const reply = await request("POST", `${customers}/customers`, {
        token,
        json: { name: "Ada", account_id: "1" },
      });
      return reply.status === 201 ? reply : undefined;
    });
    expect(customer.body.name).toBe("Ada");

    child.kill("SIGINT");
    expect(await child.exited).toBe(0);
    for (const port of Object.values(ports)) expect(await portIsClosed(port)).toBe(true);
    expect(await Bun.file(join(dataDir, "redis", "appendonlydir", "appendonly.aof.manifest")).exists()).toBe(
      true,
    );
  });

  test("without redis-server on PATH it stops with a message naming the fix", async () => {
    const { child } = startCommand({ PATH: dirname(process.execPath) });
    expect(await child.exited).toBe(1);
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain("redis-server was not found");
    expect(stderr).toContain("apt-get install -y redis-server");
    expect(stderr).toContain("REDIS_URL");
  });

  test("with a bad variable it stops with a message naming the variable", async () => {
    const { child } = startCommand({ CUSTOMERS_PORT: "eighty" });
    expect(await child.exited).toBe(1);
    expect(await new Response(child.stderr).text()).toContain("CUSTOMERS_PORT");
  });
});

describe("a service started alone", () => {
  test("with a bad variable exits 1 naming it", async () => {
    const child = Bun.spawn(serviceCommand(join(ROOT, "accounts", "main.ts")), {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL: "http://not-redis", DATA_DIR: "/nonexistent" },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    expect(await new Response(child.stderr).text()).toContain("REDIS_URL");
  });
});
