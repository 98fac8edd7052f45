import { beforeAll, describe, expect, test } from "bun:test";
import { queryParametersOf } from "../../../shared/http/query-rule";
import { useAccountsApp } from "../../support/accounts-app";
import { useCustomersApp } from "../../support/customers-app";
import { expectProblem } from "../../support/problems";

// One query rule for every route of both services: a parameter the route does not document is refused
// with 422 naming it; a route documenting none takes none.
const accounts = useAccountsApp();
const customers = useCustomersApp({ accounts: { 1: "user1" } });
const services = { accounts: () => accounts, customers: () => customers } as const;
type Service = keyof typeof services;
let tokens: Record<Service, string>;
let customerId: string;

beforeAll(async () => {
  tokens = { accounts: await accounts.bearer("user1"), customers: await customers.bearer("user1") };
  const created = await customers.call("POST", "/customers", {
    authorization: tokens.customers,
    json: { name: "Query Rule", account_id: "1" },
  });
  customerId = String(created.body.id);
});

/** Every route the app answers, as [method, path with its ids filled in]. */
function routesOf(service: Service): [string, string][] {
  const app = services[service]().app as unknown as { routes: { method: string; path: string }[] };
  return app.routes.map(({ method, path }) => [method, path.replace(/:\w+/g, "1")]);
}

/** The routes that take a query, each with parameters it accepts as valid. */
const withQueries: [Service, string, () => string][] = [
  ["customers", "/customers", () => "account_id=1&limit=2&after=1"],
  ["customers", "/invoices", () => `customer_id=${customerId}&limit=2`],
  ["accounts", "/accounts/1/customers", () => "limit=2&after=1"],
];

const call = (service: Service, method: string, path: string) =>
  services[service]().call(method, path, { authorization: tokens[service] });

describe.each(["customers", "accounts"] as const)("on every route of %s", (service) => {
  test("an undocumented query parameter is refused with 422 naming it", async () => {
    for (const [method, path] of routesOf(service)) {
      const reply = await call(service, method, `${path}?unknown=1`);
      expectProblem(reply, 422, ["unknown"], `${method} ${path}`);
      expect({ route: `${method} ${path}`, errors: reply.body.errors }).toEqual({
        route: `${method} ${path}`,
        errors: { unknown: ["is not an accepted parameter"] },
      });
    }
  });
});

describe.each(withQueries)("%s GET %s", (service, path, valid) => {
  test("its documented parameters are accepted", async () => {
    expect((await call(service, "GET", `${path}?${valid()}`)).status).toBe(200);
  });

  test("with undocumented ones besides them: 422 naming only those", async () => {
    const reply = await call(service, "GET", `${path}?${valid()}&unknown=1&Limit=5`);
    expectProblem(reply, 422, ["unknown", "Limit"], path);
    expect(Object.keys(reply.body.errors as object).sort()).toEqual(["Limit", "unknown"]);
  });

  test("a bad value of a documented one: 422 naming it", async () => {
    expectProblem(await call(service, "GET", `${path}?${valid()}`.replace(/limit=2/, "limit=0")), 422, [
      "limit",
    ]);
  });
});

describe("the parameters a route accepts", () => {
  test("are the ones its operation in the OpenAPI document names", async () => {
    const documents = await Promise.all(
      (["customers", "accounts"] as const).map(
        async (service) => (await call(service, "GET", "/openapi.json")).body,
      ),
    );
    const taking = documents.flatMap((document) =>
      [...queryParametersOf(document)]
        .filter(([, names]) => names.size > 0)
        .map(([route, names]) => [route, [...names]]),
    );
    expect(taking).toEqual([
      ["GET /customers", ["account_id", "limit", "after"]],
      ["GET /invoices", ["customer_id", "limit", "after"]],
      ["GET /accounts/:id/customers", ["limit", "after"]],
    ]);
  });
});
