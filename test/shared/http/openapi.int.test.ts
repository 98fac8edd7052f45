import { beforeAll, describe, expect, test } from "bun:test";
import { useAccountsApp } from "../../support/accounts-app";
import { useCustomersApp } from "../../support/customers-app";

const accounts = useAccountsApp();
const customers = useCustomersApp();

type JsonSchema = { type?: string; properties?: Record<string, unknown>; required?: string[] };
type Operation = {
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  parameters?: { name: string; in: string }[];
  responses: Record<string, { content?: Record<string, { schema: JsonSchema }> }>;
};
type Spec = { openapi: string; paths: Record<string, Record<string, Operation>> };

/** Every route the app answers (its own static assets aside), in OpenAPI's `{param}` form. */
function routesOf(app: { routes: { method: string; path: string }[] }): string[] {
  return app.routes
    .filter((route) => !route.path.startsWith("/assets/"))
    .map((route) => `${route.method.toLowerCase()} ${route.path.replace(/:([A-Za-z_]+)/g, "{$1}")}`)
    .sort();
}

const operationsOf = (spec: Spec) =>
  Object.entries(spec.paths)
    .flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method} ${path}`))
    .sort();

describe.each([
  ["accounts", () => accounts, ["post /auth/login", "post /accounts"]],
  ["customers", () => customers, ["post /customers", "post /invoices", "patch /customers/{id}"]],
] as const)("the %s OpenAPI document", (_service, harness, bodies) => {
  let spec: Spec;
  beforeAll(async () => {
    const reply = await harness().call("GET", "/openapi.json");
    expect(reply.status).toBe(200);
    spec = reply.body as unknown as Spec;
  });

  test("is OpenAPI 3 and lists exactly the routes the app answers", () => {
    expect(spec.openapi).toStartWith("3.");
    expect(operationsOf(spec)).toEqual(routesOf(harness().app as never));
  });

  test("names every operation with a distinct identifier", () => {
    const ids = Object.values(spec.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => (operation as { operationId?: string }).operationId),
    );
    expect(ids.every((id) => typeof id === "string" && /^[a-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test("gives every JSON-answering route a response schema and every write its request schema", () => {
    for (const [path, methods] of Object.entries(spec.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const success = Object.entries(operation.responses).filter(([status]) => status.startsWith("2"));
        expect(success.length).toBeGreaterThan(0);
        for (const [, response] of success) {
          const json = response.content?.["application/json"]?.schema;
          if (json) expect(json.type ?? "").not.toBe("");
        }
        if (method === "post" || method === "patch") {
          const body = operation.requestBody?.content["application/json"]?.schema;
          expect({
            route: `${method} ${path}`,
            properties: Object.keys(body?.properties ?? {}).length > 0,
          }).toEqual({
            route: `${method} ${path}`,
            properties: true,
          });
        }
      }
    }
    for (const route of bodies) {
      const [method, path] = route.split(" ") as [string, string];
      expect(spec.paths[path]?.[method]?.requestBody).toBeDefined();
    }
  });
});

describe("the schemas in the documents are the zod schemas the routes validate with", () => {
  test("POST /invoices: its fields, which are required, and their constraints", async () => {
    const spec = (await customers.call("GET", "/openapi.json")).body as unknown as Spec;
    const body = spec.paths["/invoices"]?.post?.requestBody?.content["application/json"]?.schema;
    expect(Object.keys(body?.properties ?? {}).sort()).toEqual([
      "currency",
      "customer_id",
      "purchase_date",
      "purchase_price_cents",
    ]);
    expect(body?.required?.sort()).toEqual(["customer_id", "purchase_date", "purchase_price_cents"]);
    expect(body?.properties?.purchase_price_cents).toMatchObject({ type: "integer", exclusiveMinimum: 0 });
    const created = spec.paths["/invoices"]?.post?.responses["201"]?.content?.["application/json"]?.schema;
    expect(created?.required).toContain("purchase_price_cents");
  });

  test("GET /accounts/{id}/customers: its query parameters and path parameter", async () => {
    const spec = (await accounts.call("GET", "/openapi.json")).body as unknown as Spec;
    const parameters = spec.paths["/accounts/{id}/customers"]?.get?.parameters ?? [];
    expect(parameters.map((parameter) => `${parameter.in}:${parameter.name}`).sort()).toEqual([
      "path:id",
      "query:after",
      "query:limit",
    ]);
  });

  test("GET /accounts/events: an event stream whose messages' data are the snapshot and change schemas", async () => {
    const spec = (await accounts.call("GET", "/openapi.json")).body as unknown as Spec;
    const stream = spec.paths["/accounts/events"]?.get?.responses["200"]?.content?.["text/event-stream"];
    const variants = (stream?.schema as { anyOf?: JsonSchema[] } | undefined)?.anyOf ?? [];
    expect(variants.map((variant) => Object.keys(variant.properties ?? {}).sort())).toEqual([
      ["accounts", "position", "resumed_from"],
      ["accounts", "position", "removed"],
    ]);
  });

  test("GET /docs is a self-hosted page with its own Content-Security-Policy", async () => {
    const reply = await accounts.call("GET", "/docs");
    expect(reply.status).toBe(200);
    expect(reply.headers.get("content-type")).toStartWith("text/html");
    expect(reply.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(String(reply.body)).toContain('src="/assets/docs.js"');
  });
});
