import { describe, expect, test } from "bun:test";
import { createCustomer, postInvoice, request } from "../support/api";
import { eventually } from "../support/resources";
import { logLines, metricValue } from "../support/services";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();

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

async function withSystem() {
  const system = await systems.start();
  return { redis: system.redis, system, token: await system.login() };
}

describe("health", () => {
  test("live and ready with details; not ready while Redis is down, ready again after", async () => {
    const { redis, system, token } = await withSystem();
    await createCustomer(system.customers.url, token, "Hedy");
    const lastId = await system.settled();

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
    expect(await metricValue(system.accounts, "streamledger_redis_reconnects_total")).toBeGreaterThanOrEqual(
      1,
    );
  });

  test("a service started while Redis is down waits for it instead of dying, then works", async () => {
    const redis = await systems.redis();
    await redis.kill();
    const system = await systems.system(redis);
    expect((await ready(system.accounts.url)).status).toBe(503);
    expect((await request("GET", `${system.customers.url}/health/live`)).status).toBe(200);

    await redis.restart();
    for (const service of [system.accounts, system.customers]) {
      await eventually(`${service.name} ready`, async () => (await ready(service.url)).status === 200);
    }
    const token = await system.login();
    await system.settled();
    await createCustomer(system.customers.url, token, "Late Start");
  });
});

describe("metrics", () => {
  test("count requests by route and status, time them, and follow events, batches and the outbox", async () => {
    const { system, token } = await withSystem();
    const customerId = await createCustomer(system.customers.url, token, "Ada");
    for (const cents of [100, 100, 100, 0]) await postInvoice(system.customers.url, token, customerId, cents);
    await request("GET", `${system.customers.url}/no-such-route`);
    await system.settled();

    const customers = system.customers;
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

    const accounts = system.accounts;
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
      const parsed = logLines(system.accounts);
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
    const text = await Bun.file(system.accounts.logFile).text();
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
    await system.settled();
    const line = await eventually("the dead letter to be logged", () =>
      logLines(system.accounts).find(
        (row) => row.msg === "entry dead-lettered" && row.event_id === "evt-poison-1",
      ),
    );
    expect(line).toMatchObject({ level: "warn", stream_id: poison, reason: "Payload is not valid JSON" });
  });
});
