import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { httpConventions } from "../../../shared/http/conventions";
import { createMetrics, metricsRoute } from "../../../shared/http/metrics";
import { createLogger } from "../../../shared/process/log";

const TOKEN = "scrape-token-0123456789";

function metricsApp(token?: string) {
  const metrics = createMetrics("customers");
  const logger = createLogger("customers", "silent");
  return new Elysia().use(httpConventions({ logger, metrics })).use(metricsRoute(metrics, token));
}

const scrape = (app: ReturnType<typeof metricsApp>, authorization?: string) =>
  app.handle(new Request("http://localhost/metrics", { headers: authorization ? { authorization } : {} }));

describe("GET /metrics", () => {
  test("without METRICS_TOKEN it is open", async () => {
    const reply = await scrape(metricsApp());
    expect(reply.status).toBe(200);
    expect(await reply.text()).toContain("http_requests_total");
  });

  test("with METRICS_TOKEN, no token or another one gets a 401 problem with a Bearer challenge", async () => {
    const app = metricsApp(TOKEN);
    for (const authorization of [undefined, "Bearer wrong", `Bearer ${TOKEN}x`, TOKEN, `Basic ${TOKEN}`]) {
      const reply = await scrape(app, authorization);
      expect(reply.status).toBe(401);
      expect(reply.headers.get("content-type")).toBe("application/problem+json");
      expect(reply.headers.get("www-authenticate")).toStartWith("Bearer");
      const body = (await reply.json()) as { detail: string };
      expect(body.detail).toBe("GET /metrics needs the METRICS_TOKEN as a bearer token");
      expect(JSON.stringify(body)).not.toContain(TOKEN);
    }
  });

  test("with METRICS_TOKEN, the bearer of that token gets the metrics", async () => {
    const reply = await scrape(metricsApp(TOKEN), `Bearer ${TOKEN}`);
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toStartWith("text/plain");
    expect(await reply.text()).toContain("streamledger_consumer_lag_entries");
  });
});
