import { beforeAll, describe, test } from "bun:test";
import fc from "fast-check";
import { useAccountsApp } from "../support/accounts-app";
import type { Send } from "../support/bad-requests";
import {
  attackRoute,
  type HostileRoute,
  hostileBody,
  hostileQuery,
  hostileSegment,
} from "../support/hostile";
import { testSeed } from "../support/random";

const app = useAccountsApp();
let user1: string;

beforeAll(async () => {
  user1 = await app.bearer("user1");
});

const SEED = testSeed(20_261_124);
const noBody = fc.constant<Send>({});
const accountId = fc.oneof(hostileSegment, fc.constantFrom("1", "2"));

const routes: HostileRoute[] = [
  {
    route: "POST /auth/login",
    method: "POST",
    path: fc.constant("/auth/login"),
    send: hostileBody(["username", "password"]),
  },
  {
    route: "POST /auth/refresh",
    method: "POST",
    path: fc.constant("/auth/refresh"),
    send: hostileBody(["refresh_token"]),
  },
  {
    route: "POST /auth/logout",
    method: "POST",
    path: fc.constant("/auth/logout"),
    send: hostileBody(["refresh_token"]),
  },
  {
    route: "POST /accounts",
    method: "POST",
    path: fc.constant("/accounts"),
    send: hostileBody(["name", "description"]),
  },
  {
    route: "GET /accounts",
    method: "GET",
    path: hostileQuery(["limit"]).map((q) => `/accounts?${q}`),
    send: noBody,
  },
  { route: "GET /accounts/:id", method: "GET", path: accountId.map((id) => `/accounts/${id}`), send: noBody },
  {
    route: "GET /accounts/:id/customers",
    method: "GET",
    path: fc
      .tuple(accountId, hostileQuery(["limit", "after"]))
      .map(([id, q]) => `/accounts/${id}/customers?${q}`),
    send: noBody,
  },
  {
    route: "DELETE /accounts/:id",
    method: "DELETE",
    path: hostileSegment.map((id) => `/accounts/${id}`),
    send: noBody,
  },
  {
    route: "GET /.well-known/jwks.json",
    method: "GET",
    path: hostileQuery(["kid"]).map((q) => `/.well-known/jwks.json?${q}`),
    send: noBody,
  },
];

describe("hostile input to every accounts route (fast-check)", () => {
  test.each(routes.map((r) => [r.route, r] as const))(
    "%s: only 2xx/4xx, problem bodies, nothing stored or published when refused",
    async (_, route) => {
      await attackRoute(app, route, user1, SEED);
    },
    120_000,
  );
});
