import { describe, expect, test } from "bun:test";
import { useAccountsApp } from "../../support/accounts-app";
import { DASHBOARD_ORIGIN } from "../../support/app-harness";
import { useCustomersApp } from "../../support/customers-app";

const accounts = useAccountsApp();
const customers = useCustomersApp();

const preflight = (origin: string) => ({
  headers: {
    origin,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type, idempotency-key",
  },
});

describe.each([
  ["customers", "/invoices", () => customers],
  ["accounts", "/accounts", () => accounts],
] as const)("CORS on %s", (_service, path, app) => {
  test("a preflight from the dashboard's origin is allowed with the methods and headers the page sends", async () => {
    const reply = await app().call("OPTIONS", path, preflight(DASHBOARD_ORIGIN));
    expect(reply.status).toBe(204);
    expect(reply.headers.get("access-control-allow-origin")).toBe(DASHBOARD_ORIGIN);
    expect(reply.headers.get("access-control-allow-methods")).toContain("POST");
    const allowed = reply.headers.get("access-control-allow-headers") ?? "";
    for (const header of ["authorization", "content-type", "idempotency-key"])
      expect(allowed).toContain(header);
    expect(reply.headers.get("access-control-allow-credentials")).toBeNull();
    expect(reply.headers.get("vary")).toContain("Origin");
  });

  test("a preflight from another origin gets no allow headers, so its browser refuses", async () => {
    const reply = await app().call("OPTIONS", path, preflight("http://evil.test"));
    expect(reply.headers.get("access-control-allow-origin")).toBeNull();
    expect(reply.headers.get("access-control-allow-methods")).toBeNull();
    expect(reply.headers.get("access-control-allow-headers")).toBeNull();
  });

  test("a request from the dashboard's origin, even a refused one, carries the allow header", async () => {
    const reply = await app().call("GET", path, { headers: { origin: DASHBOARD_ORIGIN } });
    expect(reply.status).toBe(401);
    expect(reply.headers.get("access-control-allow-origin")).toBe(DASHBOARD_ORIGIN);
    expect(reply.headers.get("access-control-expose-headers")).toContain("x-request-id");
  });

  test("a request from another origin carries no allow header", async () => {
    const reply = await app().call("GET", path, { headers: { origin: "http://localhost:9999" } });
    expect(reply.headers.get("access-control-allow-origin")).toBeNull();
  });
});
