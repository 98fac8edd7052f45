import { describe, expect, test } from "bun:test";
import { freePort } from "../support/resources";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();
const TOKEN = "prometheus-scrape-token-42";

const get = (url: string, token?: string) =>
  fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });

describe("/metrics, guarded", () => {
  test("METRICS_TOKEN: each service answers /metrics only to the bearer of the token", async () => {
    const system = await systems.start({ env: { METRICS_TOKEN: TOKEN } });
    for (const service of [system.customers, system.accounts]) {
      expect((await get(`${service.url}/metrics`)).status).toBe(401);
      expect((await get(`${service.url}/metrics`, "not-the-token-at-all")).status).toBe(401);
      const scraped = await get(`${service.url}/metrics`, TOKEN);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain(`service="${service.name}"`);
      // The rest of the operations routes are as open as before.
      expect((await get(`${service.url}/health`)).status).toBe(200);
    }
  }, 60_000);

  test("a metrics port of its own: /metrics is served there (with the token), no longer on the API port", async () => {
    const ports = { customers: freePort(), accounts: freePort() };
    const system = await systems.start({
      env: {
        METRICS_HOST: "127.0.0.1",
        CUSTOMERS_METRICS_PORT: String(ports.customers),
        ACCOUNTS_METRICS_PORT: String(ports.accounts),
        METRICS_TOKEN: TOKEN,
      },
    });
    for (const service of [system.customers, system.accounts]) {
      const metricsUrl = `http://127.0.0.1:${ports[service.name]}`;
      expect((await get(`${service.url}/metrics`, TOKEN)).status).toBe(404);
      expect((await get(`${metricsUrl}/metrics`)).status).toBe(401);
      const scraped = await get(`${metricsUrl}/metrics`, TOKEN);
      expect(scraped.status).toBe(200);
      expect(await scraped.text()).toContain(`service="${service.name}"`);
      // Only /metrics listens there.
      expect((await get(`${metricsUrl}/health`)).status).toBe(404);
    }

    // It stops with the service: the port is free again.
    await system.customers.kill("SIGTERM");
    await expect(fetch(`http://127.0.0.1:${ports.customers}/metrics`)).rejects.toThrow();
  }, 60_000);
});
