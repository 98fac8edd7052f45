import { z } from "zod";
import { DEFAULT_INPUT_LIMITS, type InputLimits } from "../shared/http/limits";
import { COMMON_ROUTES, openApiDocument, type RouteDoc } from "../shared/http/openapi";
import {
  accountResponse,
  accountSchemas,
  changeEvent,
  customersPageResponse,
  jwksResponse,
  loginBody,
  refreshTokenBody,
  snapshotEvent,
  tokenResponse,
} from "./schemas";

/** A route of the auth tag: open to anyone, it is how a token is had. */
const authRoute = (doc: Omit<RouteDoc, "tag" | "auth">): RouteDoc => ({ ...doc, tag: "auth", auth: false });
/** A route of the accounts tag, for the bearer of a token. */
const accountsRoute = (doc: Omit<RouteDoc, "tag">): RouteDoc => ({ ...doc, tag: "accounts" });
/** A POST of the auth tag that answers tokens (200) or refuses (401). */
function tokenRoute(
  path: string,
  summary: string,
  body: z.ZodType,
  { issued, refused }: { issued: string; refused: string },
): RouteDoc {
  const responses = { 200: { description: issued, schema: tokenResponse }, 401: { description: refused } };
  return authRoute({ method: "post", path, summary, body, responses });
}

const notYours = { 403: { description: "another user's account" }, 404: { description: "no such account" } };

const DASHBOARD_AND_AUTH: RouteDoc[] = [
  {
    method: "get",
    path: "/",
    summary: "The dashboard (HTML page)",
    tag: "docs",
    auth: false,
    responses: { 200: { description: "HTML page", contentType: "text/html" } },
  },
  tokenRoute("/auth/login", "Log in: a bearer token for the other routes and for customers", loginBody, {
    issued: "the token",
    refused: "wrong credentials",
  }),
  tokenRoute(
    "/auth/refresh",
    "Trade a refresh token (once) for a new access token and refresh token",
    refreshTokenBody,
    { issued: "the new pair", refused: "the refresh token is not valid" },
  ),
  authRoute({
    method: "post",
    path: "/auth/logout",
    summary: "End the session of a refresh token",
    body: refreshTokenBody,
    responses: { 204: { description: "ended" } },
  }),
  authRoute({
    method: "get",
    path: "/.well-known/jwks.json",
    summary: "The public keys that verify tokens",
    responses: { 200: { description: "a JSON Web Key Set", schema: jwksResponse } },
  }),
];

const ACCOUNTS_EVENTS = accountsRoute({
  method: "get",
  path: "/accounts/events",
  summary:
    "Server-Sent Events of the caller's accounts: a `snapshot` on connecting, then a `change` after each committed batch; ids are stream positions",
  responses: {
    200: {
      description:
        "an event stream; each message's data is a snapshot or a change (`event: expired` ends it with the token)",
      contentType: "text/event-stream",
      schema: z.union([snapshotEvent, changeEvent]),
    },
    429: { description: "the user already has 20 streams open" },
  },
});

/** The accounts service's OpenAPI document, from the zod schemas its routes validate with. */
export function accountsOpenApi(limits: InputLimits = DEFAULT_INPUT_LIMITS) {
  const { createAccountBody, customersPageQuery } = accountSchemas(limits);
  const routes: RouteDoc[] = [
    ...DASHBOARD_AND_AUTH,
    accountsRoute({
      method: "get",
      path: "/accounts",
      summary: "The caller's accounts with their customers and revenue",
      responses: { 200: { description: "accounts by id", schema: z.array(accountResponse) } },
    }),
    accountsRoute({
      method: "post",
      path: "/accounts",
      summary: "Create an account owned by the caller",
      idempotent: true,
      body: createAccountBody,
      responses: { 201: { description: "the new account", schema: accountResponse } },
    }),
    ACCOUNTS_EVENTS,
    accountsRoute({
      method: "get",
      path: "/accounts/:id",
      summary: "One account",
      responses: { 200: { description: "the account", schema: accountResponse }, ...notYours },
    }),
    accountsRoute({
      method: "delete",
      path: "/accounts/:id",
      summary: "Delete an account (409 while it has customers)",
      idempotent: true,
      responses: {
        204: { description: "deleted" },
        ...notYours,
        409: { description: "the account still has customers" },
      },
    }),
    accountsRoute({
      method: "get",
      path: "/accounts/:id/customers",
      summary: "One page of an account's customers by id",
      query: customersPageQuery,
      responses: { 200: { description: "a page", schema: customersPageResponse } },
    }),
  ];
  return openApiDocument(
    {
      title: "streamledger accounts",
      description: "Users, tokens, accounts, and the revenue read model kept from the event stream.",
    },
    [...routes, ...COMMON_ROUTES],
  );
}
