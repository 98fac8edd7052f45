import { describe, expect, test } from "bun:test";
import { dirname, join } from "node:path";
import { login, request } from "../support/api";
import { cleanupAfterEach } from "../support/lifecycle";
import { npmStart, runningTree } from "../support/npm-start";
import { processTree } from "../support/process-tree";
import { eventually, freePort, portIsClosed, tempDir } from "../support/resources";
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

/** Listens on a free port from this test process, as another program holding it would. */
function holdPort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  cleanups.push(() => server.stop(true));
  return server.port;
}

describe("a port already in use is named, with what holds it and the fix", () => {
  test("a second npm start: LOCAL_REDIS_PORT is held by the first one's redis-server", async () => {
    const first = npmStart();
    cleanups.push(() => {
      for (const info of processTree(first.child.pid).reverse()) process.kill(info.pid, "SIGTERM");
    });
    const tree = await runningTree(first);
    const second = npmStart(first.env, first.dataDir);
    expect(await second.child.exited).toBe(1);
    const output = await second.output();
    const port = first.ports.redis;
    expect(output).toContain(
      `port ${port} (LOCAL_REDIS_PORT) on 127.0.0.1 is already in use by pid ${tree.redis.pid} (`,
    );
    expect(output).toContain("redis-server");
    expect(output).toContain(
      `stop it (kill ${tree.redis.pid}), or use another port: LOCAL_REDIS_PORT=${port + 1}`,
    );
    expect(output).not.toContain("exited with code");
    // The first one goes on serving.
    expect((await fetch(`http://127.0.0.1:${first.ports.accounts}/health`)).ok).toBe(true);
  }, 90_000);

  test("ACCOUNTS_PORT and CUSTOMERS_PORT: start stops before starting anything, naming this process", async () => {
    const accountsPort = holdPort();
    const accounts = startCommand({ ACCOUNTS_PORT: String(accountsPort) });
    expect(await accounts.child.exited).toBe(1);
    const accountsError = await new Response(accounts.child.stderr).text();
    expect(accountsError).toContain(
      `port ${accountsPort} (ACCOUNTS_PORT) on 127.0.0.1 is already in use by pid ${process.pid} (`,
    );
    expect(accountsError).toContain(
      `ACCOUNTS_PORT=${accountsPort + 1} ACCOUNTS_URL=http://127.0.0.1:${accountsPort + 1}`,
    );

    const customersPort = holdPort();
    const customers = startCommand({ CUSTOMERS_PORT: String(customersPort) });
    expect(await customers.child.exited).toBe(1);
    const customersError = await new Response(customers.child.stderr).text();
    expect(customersError).toContain(`port ${customersPort} (CUSTOMERS_PORT) on 127.0.0.1 is already in use`);
    expect(customersError).toContain(`by pid ${process.pid} (`);
    // Nothing was started: no redis-server was left behind on its port.
    expect(await portIsClosed(customers.ports.redis)).toBe(true);
  }, 60_000);
});

describe("a service started alone", () => {
  test("on a port already in use exits 1 naming the port's variable and its holder", async () => {
    const port = holdPort();
    const dir = tempDir("streamledger-alone-");
    cleanups.push(dir.remove);
    const child = Bun.spawn(serviceCommand(join(ROOT, "customers", "main.ts")), {
      cwd: ROOT,
      env: {
        ...process.env,
        REDIS_URL: "redis://127.0.0.1:1",
        DATA_DIR: dir.path,
        CUSTOMERS_PORT: String(port),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    cleanups.push(() => child.kill("SIGKILL"));
    expect(await child.exited).toBe(1);
    const stderr = await new Response(child.stderr).text();
    expect(stderr).toContain(
      `customers: port ${port} (CUSTOMERS_PORT) on 127.0.0.1 is already in use by pid ${process.pid}`,
    );
    expect(stderr).toContain(`CUSTOMERS_PORT=${port + 1}`);
  }, 60_000);

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
