import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { buildWeb } from "../../scripts/build-web";
import { request } from "../support/api";
import { launchBrowser } from "../support/browser";
import { useSystem } from "../support/system";

const ROOT = join(import.meta.dir, "..", "..");
const WAIT = { timeout: 30_000 };

let browser: Browser;
const problems: string[] = [];

beforeAll(async () => {
  await buildWeb();
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
});

const system = useSystem();

/** A page of its own (a separate browser profile, like another person's browser) that records console errors. */
async function newPage(viewport = { width: 1280, height: 860 }): Promise<Page> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.on("console", (message) => {
    // The bad-input test's refusals are expected; anything else (a CSP refusal, a 404) is not.
    if (message.type() === "error" && !/status of (401|422)\b/.test(message.text()))
      problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(String(error)));
  return page;
}

async function logIn(page: Page, username = "user1", password = "password1") {
  await page.goto(`${system.accounts.url}/`);
  await page.fill('#login-form input[name="username"]', username);
  await page.fill('#login-form input[name="password"]', password);
  await page.click('#login-form button[type="submit"]');
}

async function waitLive(page: Page) {
  await page.waitForSelector("#dashboard-view:not([hidden])", WAIT);
  await page.waitForSelector("#connection.live", WAIT);
}

const textOf = (page: Page, selector: string) => page.locator(selector).textContent();

// Locators, not page functions: the pages' CSP forbids the eval a string predicate needs, and these
// tests are type-checked without the DOM library.
function waitText(page: Page, selector: string, text: string) {
  return page.locator(selector, { hasText: text }).first().waitFor(WAIT);
}

describe("the dashboard in Chromium, against both services as processes", () => {
  test("log in, create a customer and an invoice in the page: revenue changes live there and on a second page", async () => {
    const page = await newPage();
    const other = await newPage();
    await logIn(page);
    await logIn(other);
    await Promise.all([waitLive(page), waitLive(other)]);
    expect(await textOf(page, "#total-revenue")).toBe("$0.00");
    // Set on the window: still there at the end proves nothing reloaded the page.
    await page.evaluate("window.notReloaded = true");

    await page.selectOption("#customer-account", "1");
    await page.fill("#customer-name", "Ada Lovelace");
    await page.click('#customer-form button[type="submit"]');
    await waitText(page, "#customer-form .ok", "Ada Lovelace created");
    await waitText(page, "#invoice-customer", "Ada Lovelace");

    await page.fill("#invoice-amount", "123.45");
    await page.click('#invoice-form button[type="submit"]');
    await waitText(page, "#invoice-form .ok", "$123.45 recorded");

    await waitText(page, "#total-revenue", "$123.45");
    await waitText(other, "#total-revenue", "$123.45");
    await waitText(other, "#feed li", "New customer Ada Lovelace in one.");
    await waitText(other, "#feed li", "Ada Lovelace: +$123.45. one revenue now $123.45.");
    expect(await page.evaluate("window.notReloaded")).toBe(true);

    // Any client: an invoice through the API shows on both pages.
    const token = await system.login("user1");
    const customers = await request("GET", `${system.customers.url}/customers?account_id=1`, { token });
    const ada = (customers.body.items as { id: string; name: string }[]).find(
      (c) => c.name === "Ada Lovelace",
    );
    const invoice = await request("POST", `${system.customers.url}/invoices`, {
      token,
      json: { customer_id: ada?.id, purchase_date: "2026-11-24", purchase_price_cents: 1000 },
    });
    expect(invoice.status).toBe(201);
    await waitText(page, "#total-revenue", "$133.45");
    await waitText(other, "#total-revenue", "$133.45");
    await waitText(other, '[data-account-id="1"] .revenue', "$133.45");

    await page.screenshot({ path: join(system.dataDir, "dashboard.png"), animations: "disabled" });
    if (process.env.UPDATE_SCREENSHOTS) {
      mkdirSync(join(ROOT, "docs"), { recursive: true });
      copyFileSync(join(system.dataDir, "dashboard.png"), join(ROOT, "docs", "dashboard.png"));
    }
    await page.context().close();
    await other.context().close();
  });

  test("bad input gets a clear message naming the field, and changes nothing", async () => {
    const page = await newPage();
    await logIn(page, "user1", "wrong password");
    await waitText(page, "#login-error", "Wrong username or password.");

    await logIn(page);
    await waitLive(page);
    const before = await textOf(page, "#total-customers");
    await page.fill("#customer-name", "   ");
    await page.click('#customer-form button[type="submit"]');
    // From the server's problem+json: customers trims the name and refuses it.
    await waitText(page, "#customer-form .error", "Name must not be empty.");
    expect(await page.getAttribute("#customer-name", "aria-invalid")).toBe("true");

    await page.fill("#invoice-amount", "twelve");
    await page.click('#invoice-form button[type="submit"]');
    await waitText(page, "#invoice-form .error", "Amount must be a positive amount in dollars");
    expect(await textOf(page, "#total-customers")).toBe(before);
    await page.context().close();
  });

  test("fits a phone-sized screen without sideways scrolling", async () => {
    const page = await newPage({ width: 390, height: 844 });
    await logIn(page);
    await waitLive(page);
    const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
    if (process.env.UPDATE_SCREENSHOTS) {
      await page.screenshot({
        path: join(ROOT, "docs", "dashboard-phone.png"),
        fullPage: true,
        animations: "disabled",
      });
    }
    await page.context().close();
  });

  test("/docs renders the OpenAPI document of each service", async () => {
    const page = await newPage();
    for (const [service, route] of [
      [system.accounts, "/accounts/events"],
      [system.customers, "/invoices"],
    ] as const) {
      await page.goto(`${service.url}/docs`);
      await waitText(page, "#operations", route);
      expect(await page.locator("details.op").count()).toBeGreaterThan(5);
    }
    await page.context().close();
  });

  test("a page from another origin cannot call customers: its browser refuses after the preflight", async () => {
    const token = await system.login("user1");
    // A page of another origin, served for this test; not newPage(): the refusal it logs is expected.
    const elsewhere = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response("<!doctype html><title>elsewhere</title>", { headers: { "content-type": "text/html" } }),
    });
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${elsewhere.port}/`);
    const call = (url: string) =>
      page.evaluate(
        `fetch(${JSON.stringify(url)}, { method: "POST", headers: { authorization: "Bearer ${token}", "content-type": "application/json" }, body: JSON.stringify({ name: "Mallory", account_id: "1" }) }).then((r) => "answered " + r.status, () => "refused")`,
      );
    expect(await call(`${system.customers.url}/customers`)).toBe("refused");
    const customers = await request("GET", `${system.customers.url}/customers?account_id=1`, { token });
    expect((customers.body.items as { name: string }[]).map((c) => c.name)).not.toContain("Mallory");
    await page.close();
    await elsewhere.stop(true);
  });

  test("no page logged an error (a Content-Security-Policy refusal included)", () => {
    expect(problems).toEqual([]);
  });
});
