import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { login, request } from "../support/api";
import { stoppedAfterEachTest } from "../support/lifecycle";
import { eventually, freePort, type TestRedis, tempDir } from "../support/resources";
import { serviceCommand, settled, type TestSystem } from "../support/services";

const ROOT = join(import.meta.dir, "..", "..");

let redis: TestRedis | undefined;
let system: TestSystem | undefined;

const started = stoppedAfterEachTest();

type Ready = {
  service: string;
  status: string;
  checks: Record<string, { ok: boolean; detail?: string }>;
  consumer: {
    position: string;
    stream_length: number | null;
    lag: number | null;
    last_applied_at: string | null;
  };
};

const ready = (url: string) => request<Ready>("GET", `${url}/health/ready`);

async function metricValue(url: string, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split("\n")
    .find((row) => row.startsWith(`${name}{`) && wanted.every((label) => row.includes(label)));
  return line === undefined ? Number.NaN : Number(line.split(" ").at(-1));
}

async function withSystem() {
  redis = await started.redis();
  system = await started.system(redis);
  const token = await login(system.accounts.url, "user1", "password1");
  await settled(system, redis.client);
  return { redis, system, token };
}

describe("health", () => {
  test("live and ready with details; not ready while Redis is down, ready again after", async () => {
    const { redis, system, token } = await withSystem();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Hedy", account_id: "1" },
    });
    expect(customer.status).toBe(201);
    const lastId = await settled(system, redis.client);

    for (const service of [system.customers, system.accounts]) {
      expect((await request("GET", `${service.url}/health/live`)).body).toMatchObject({
        service: service.name,
      });
      const up = await eventually(`${service.name} ready`, async () => {
        const reply = await ready(service.url);
        return reply.status === 200 ? reply.body : undefined;
      });
      expect(up.checks).toEqual({ redis: { ok: true }, sqlite: { ok: true }, consumer: { ok: true } });
      expect(up.consumer.position).toBe(lastId);
      expect(up.consumer.stream_length).toBe(await redis.client.xlen(system.streamKey));
      expect(up.consumer.lag).toBe(0);
      expect(up.consumer.last_applied_at).not.toBeNull();
    }

    await redis.kill();
    const down = await eventually("accounts to be not ready", async () => {
      const reply = await ready(system.accounts.url);
      return reply.status === 503 ? reply.body : undefined;
    });
    expect(down.checks.redis?.ok).toBe(false);
    expect((await request("GET", `${system.accounts.url}/health/live`)).status).toBe(200);

    await redis.restart();
    await eventually(
      "accounts to be ready again",
      async () => (await ready(system.accounts.url)).status === 200,
    );
    expect(
      await metricValue(system.accounts.url, "streamledger_redis_reconnects_total"),
    ).toBeGreaterThanOrEqual(1);
  });

  test("a service started while Redis is down waits for it instead of dying, then works", async () => {
    redis = await started.redis();
    await redis.kill();
    system = await started.system(redis);
    expect((await ready(system.accounts.url)).status).toBe(503);
    expect((await request("GET", `${system.customers.url}/health/live`)).status).toBe(200);

    await redis.restart();
    for (const service of [system.accounts, system.customers]) {
      await eventually(`${service.name} ready`, async () => (await ready(service.url)).status === 200);
    }
    const token = await login(system.accounts.url, "user1", "password1");
    await settled(system, redis.client);
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Late Start", account_id: "1" },
    });
    expect(customer.status).toBe(201);
  });
});

describe("metrics", () => {
  test("count requests by route and status, time them, and follow events, batches and the outbox", async () => {
    const { redis, system, token } = await withSystem();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Ada", account_id: "1" },
    });
    const json = { customer_id: customer.body.id, purchase_date: "2026-11-24", purchase_price_cents: 100 };
    for (let i = 0; i < 3; i++) await request("POST", `${system.customers.url}/invoices`, { token, json });
    await request("POST", `${system.customers.url}/invoices`, {
      token,
      json: { ...json, purchase_price_cents: 0 },
    });
    await request("GET", `${system.customers.url}/no-such-route`);
    await settled(system, redis.client);

    const customers = system.customers.url;
    expect(await metricValue(customers, "http_requests_total", { route: "/invoices", status: "201" })).toBe(
      3,
    );
    expect(await metricValue(customers, "http_requests_total", { route: "/invoices", status: "422" })).toBe(
      1,
    );
    expect(await metricValue(customers, "http_requests_total", { route: "unmatched", status: "404" })).toBe(
      1,
    );
    expect(
      await metricValue(customers, "http_request_duration_seconds_count", {
        route: "/invoices",
        status: "201",
      }),
    ).toBe(3);
    expect(await metricValue(customers, "streamledger_outbox_backlog_events")).toBe(0);

    const accounts = system.accounts.url;
    expect(await metricValue(accounts, "streamledger_events_applied_total", { type: "InvoiceCreated" })).toBe(
      3,
    );
    expect(
      await metricValue(accounts, "streamledger_events_applied_total", { type: "CustomerCreated" }),
    ).toBe(1);
    expect(await metricValue(accounts, "streamledger_batch_apply_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(await metricValue(accounts, "streamledger_consumer_lag_entries")).toBe(0);
    expect(await metricValue(accounts, "streamledger_consumer_stream_gap")).toBe(0);
  });
});

describe("logs", () => {
  test("one JSON line per request with the request id (the client's, echoed back) and no secrets", async () => {
    const { system, token } = await withSystem();
    const reply = await request("GET", `${system.accounts.url}/accounts`, {
      token,
      headers: { "x-request-id": "trace-42" },
    });
    expect(reply.headers.get("x-request-id")).toBe("trace-42");
    const generated = await request("GET", `${system.accounts.url}/health`);
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    const lines = await eventually("the request lines to be written", () => {
      const parsed = readFileSync(system.accounts.logFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      return parsed.some((line) => line.request_id === "trace-42") ? parsed : undefined;
    });
    expect(lines.find((line) => line.request_id === "trace-42")).toMatchObject({
      level: "info",
      service: "accounts",
      msg: "request",
      method: "GET",
      route: "/accounts",
      status: 200,
    });
    const text = readFileSync(system.accounts.logFile, "utf8");
    expect(text).not.toContain("password1");
    expect(text).not.toContain(token);
  });

  test("a dead-lettered entry is logged with its stream id, event id and reason", async () => {
    const { redis, system } = await withSystem();
    const poison = await redis.client.xadd(
      system.streamKey,
      "*",
      ...["EventTypeName", "InvoiceCreated", "Payload", "{oops", "EventId", "evt-poison-1"],
    );
    await settled(system, redis.client);
    const line = await eventually("the dead letter to be logged", () =>
      readFileSync(system.accounts.logFile, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((row) => JSON.parse(row) as Record<string, unknown>)
        .find((row) => row.msg === "entry dead-lettered" && row.event_id === "evt-poison-1"),
    );
    expect(line).toMatchObject({ level: "warn", stream_id: poison, reason: "Payload is not valid JSON" });
  });
});

describe("lifecycle", () => {
  test("SIGTERM lets a request in flight finish, then exits 0", async () => {
    const { system, token } = await withSystem();
    const body = JSON.stringify({ name: "In Flight" });
    let sendRest: () => void = () => {};
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 5)));
        sendRest = () => {
          controller.enqueue(new TextEncoder().encode(body.slice(5)));
          controller.close();
        };
      },
    });
    const inFlight = fetch(`${system.accounts.url}/accounts`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    await Bun.sleep(200);
    const exited = system.accounts.kill("SIGTERM");
    await Bun.sleep(200);
    sendRest();
    const response = await inFlight;
    expect(response.status).toBe(201);
    expect(await exited).toBe(0);
    await system.accounts.restart();
  });

  test("a service that cannot use its data directory exits 1 with the reason", async () => {
    const child = Bun.spawn(serviceCommand(join(ROOT, "accounts", "main.ts")), {
      env: {
        ...process.env,
        DATA_DIR: "/proc/streamledger-cannot-write-here",
        ACCOUNTS_PORT: String(freePort()),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await child.exited).toBe(1);
    expect(await new Response(child.stderr).text()).toContain("/proc/streamledger-cannot-write-here");
  });

  test("SIGTERM while a service is still starting ends it with exit code 0", async () => {
    redis = await started.redis();
    const dir = tempDir("streamledger-early-stop-");
    try {
      const child = Bun.spawn(serviceCommand(join(ROOT, "accounts", "main.ts")), {
        env: { ...process.env, REDIS_URL: redis.url, DATA_DIR: dir.path, ACCOUNTS_PORT: String(freePort()) },
        stdout: "pipe",
        stderr: "pipe",
      });
      // Seeding the development users (argon2id) keeps it starting for a while: stop it in the middle.
      await eventually("the signing key to be written", () =>
        Bun.file(join(dir.path, "accounts-signing-keys.json")).exists(),
      );
      child.kill("SIGTERM");
      expect(await child.exited).toBe(0);
    } finally {
      dir.remove();
    }
  });

  test("a second copy of a service on the same data directory refuses to start", async () => {
    const { system } = await withSystem();
    const second = Bun.spawn(serviceCommand(join(ROOT, "accounts", "main.ts")), {
      env: { ...process.env, ...system.env, ACCOUNTS_PORT: String(freePort()) },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await second.exited).toBe(1);
    expect(await new Response(second.stderr).text()).toContain("another accounts process");
  });

  test("a second copy on the same port refuses to start instead of sharing it", async () => {
    const { system } = await withSystem();
    const other = tempDir("streamledger-second-");
    try {
      const second = Bun.spawn(serviceCommand(join(ROOT, "accounts", "main.ts")), {
        env: { ...process.env, ...system.env, DATA_DIR: other.path },
        stdout: "pipe",
        stderr: "pipe",
      });
      expect(await second.exited).toBe(1);
      expect(await new Response(second.stderr).text()).toMatch(/in use|EADDRINUSE/i);
    } finally {
      other.remove();
    }
  });
});

describe("limits", () => {
  test("a body over MAX_BODY_BYTES gets a 413 problem before anything reads it", async () => {
    const { system, token } = await withSystem();
    const reply = await request("POST", `${system.customers.url}/customers`, {
      token,
      rawBody: JSON.stringify({ name: "x".repeat(70_000), account_id: "1" }),
      headers: { "content-type": "application/json" },
    });
    expect(reply.status).toBe(413);
    expect(reply.headers.get("content-type")).toStartWith("application/problem+json");
    expect(await metricValue(system.customers.url, "http_requests_total", { status: "413" })).toBe(1);
  });

  test("a body sent in chunks, with no declared length, is held to the same limit", async () => {
    const { system, token } = await withSystem();
    const body = new TextEncoder().encode(JSON.stringify({ name: "y".repeat(70_000), account_id: "1" }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < body.length; at += 8192) controller.enqueue(body.slice(at, at + 8192));
        controller.close();
      },
    });
    const response = await fetch(`${system.customers.url}/customers`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toStartWith("application/problem+json");
  });
});
