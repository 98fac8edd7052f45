import { describe, expect, test } from "bun:test";
import type { Page } from "playwright-core";
import { buildWeb } from "../../scripts/build-web";
import { type AccountView, request } from "../support/api";
import { launchBrowser } from "../support/browser";
import { eventually } from "../support/resources";
import { readEventStream } from "../support/sse";
import { systemPerTest } from "../support/system";

const systems = systemPerTest();
const WAIT = { timeout: 30_000 };

const waitText = (page: Page, selector: string, text: string) =>
  page.locator(selector, { hasText: text }).first().waitFor(WAIT);

describe("GET /accounts/events on the accounts process", () => {
  test("a SIGTERM ends the open event streams and the service still exits 0", async () => {
    const system = await systems.start();
    const token = await system.login();
    const response = await fetch(`${system.accounts.url}/accounts/events`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const stream = readEventStream(response);
    expect((await stream.next())?.event).toBe("snapshot");

    expect(await system.accounts.kill("SIGTERM")).toBe(0);
    expect(await stream.next()).toBeUndefined();
  });

  test("one user may hold 20 open streams; a client that goes away frees its place", async () => {
    const system = await systems.start();
    const token = await system.login();
    const open = () => {
      const aborter = new AbortController();
      const response = fetch(`${system.accounts.url}/accounts/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: aborter.signal,
      });
      return { aborter, response };
    };
    const streams = Array.from({ length: 20 }, open);
    for (const stream of streams) {
      const reader = readEventStream(await stream.response);
      expect((await reader.next())?.event).toBe("snapshot");
    }
    const refused = open();
    expect((await refused.response).status).toBe(429);
    expect((await refused.response).headers.get("retry-after")).toBe("5");

    for (const stream of streams) stream.aborter.abort();
    // The server notices each client leave (at once, or at its next write); then a new stream opens.
    const again = await eventually("a stream to open after the others left", async () => {
      const next = open();
      const response = await next.response;
      if (response.status === 200) return next;
      await response.body?.cancel();
      return undefined;
    });
    again.aborter.abort();
  });

  test("a browser page reconnects after accounts restarts and shows what was committed meanwhile", async () => {
    const system = await systems.start();
    await buildWeb();
    const browser = await launchBrowser();
    systems.defer(() => browser.close());
    const token = await system.login();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Grace Hopper", account_id: "1" },
    });
    expect(customer.status).toBe(201);
    await system.settled();

    const page = await browser.newPage();
    await page.goto(`${system.accounts.url}/`);
    await page.fill('#login-form input[name="username"]', "user1");
    await page.fill('#login-form input[name="password"]', "password1");
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector("#connection.live", WAIT);
    await waitText(page, "#accounts", "Grace Hopper");

    await system.accounts.kill("SIGTERM");
    await waitText(page, "#connection", "reconnecting");
    // customers takes the invoice while accounts is down (it checks the token with the keys it cached).
    const invoice = await request("POST", `${system.customers.url}/invoices`, {
      token,
      json: { customer_id: customer.body.id, purchase_date: "2026-11-24", purchase_price_cents: 4200 },
    });
    expect(invoice.status).toBe(201);
    await system.accounts.restart();

    await waitText(page, "#total-revenue", "$42.00");
    await page.waitForSelector("#connection.live", WAIT);
    await waitText(page, "#feed li", "Grace Hopper: +$42.00.");
    const accounts = await request<AccountView[]>("GET", `${system.accounts.url}/accounts`, { token });
    expect(accounts.body[0]?.total_revenue_cents).toBe(4200);
  });

  test("a page whose access token expires renews it with its refresh token and stays live", async () => {
    const system = await systems.start({ env: { TOKEN_TTL_SECONDS: "2" } });
    await buildWeb();
    const browser = await launchBrowser();
    systems.defer(() => browser.close());
    const page = await browser.newPage();
    await page.goto(`${system.accounts.url}/`);
    await page.fill('#login-form input[name="username"]', "user1");
    await page.fill('#login-form input[name="password"]', "password1");
    const renewed = page.waitForResponse(
      (response) => response.url().endsWith("/auth/refresh") && response.status() === 200,
      WAIT,
    );
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector("#connection.live", WAIT);
    // The stream ends with the token; the page renews it and reconnects on its own.
    await renewed;
    await page.waitForSelector("#connection.live", WAIT);

    const token = await system.login();
    const customer = await request("POST", `${system.customers.url}/customers`, {
      token,
      json: { name: "Alan Turing", account_id: "1" },
    });
    expect(customer.status).toBe(201);
    await waitText(page, "#accounts", "Alan Turing");
    expect(await page.locator("#login-view").isHidden()).toBe(true);
  });
});
