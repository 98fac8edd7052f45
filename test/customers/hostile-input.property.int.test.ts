import { beforeAll, describe, test } from "bun:test";
import fc from "fast-check";
import type { Send } from "../support/bad-requests";
import { useCustomersApp } from "../support/customers-app";
import {
  attackRoute,
  type HostileRoute,
  hostileBody,
  hostileQuery,
  hostileSegment,
} from "../support/hostile";
import { testSeed } from "../support/random";

const app = useCustomersApp({ accounts: { 1: "user1" } });
let user1: string;
let customerId: string;
let invoiceId: string;

beforeAll(async () => {
  user1 = await app.bearer("user1");
  const customer = await app.call("POST", "/customers", {
    authorization: user1,
    json: { name: "Target", account_id: "1" },
  });
  customerId = String(customer.body.id);
  const invoice = await app.call("POST", "/invoices", {
    authorization: user1,
    json: { customer_id: customerId, purchase_date: "2020-01-01", purchase_price_cents: 100 },
  });
  invoiceId = String(invoice.body.id);
});

const SEED = testSeed(20_261_124);
const noBody = fc.constant<Send>({});
const idOr = (existing: () => string) =>
  fc.oneof(
    hostileSegment,
    fc.constant("").map(() => existing()),
  );

const routes: HostileRoute[] = [
  {
    route: "POST /customers",
    method: "POST",
    path: fc.constant("/customers"),
    send: hostileBody(["name", "account_id"]),
  },
  {
    route: "PATCH /customers/:id",
    method: "PATCH",
    path: idOr(() => customerId).map((id) => `/customers/${id}`),
    send: hostileBody(["name"]),
  },
  {
    route: "POST /invoices",
    method: "POST",
    path: fc.constant("/invoices"),
    send: hostileBody(["customer_id", "purchase_date", "purchase_price_cents", "currency"]),
  },
  {
    route: "GET /customers",
    method: "GET",
    path: hostileQuery(["account_id", "limit", "after"]).map((q) => `/customers?${q}`),
    send: noBody,
  },
  {
    route: "GET /invoices",
    method: "GET",
    path: hostileQuery(["customer_id", "limit", "after"]).map((q) => `/invoices?${q}`),
    send: noBody,
  },
  {
    route: "GET /customers/:id",
    method: "GET",
    path: idOr(() => customerId).map((id) => `/customers/${id}`),
    send: noBody,
  },
  {
    route: "DELETE /customers/:id",
    method: "DELETE",
    path: hostileSegment.map((id) => `/customers/${id}`),
    send: noBody,
  },
  {
    route: "DELETE /invoices/:id",
    method: "DELETE",
    path: idOr(() => invoiceId).map((id) => `/invoices/${id}`),
    send: hostileBody(["reason"]),
  },
];

describe("hostile input to every customers route (fast-check)", () => {
  test.each(routes.map((r) => [r.route, r] as const))(
    "%s: only 2xx/4xx, problem bodies, nothing stored or published when refused",
    async (_, route) => {
      await attackRoute(app, route, user1, SEED);
    },
    120_000,
  );
});
