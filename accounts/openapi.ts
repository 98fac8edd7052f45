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

/** The accounts service's OpenAPI document, from the zod schemas its routes validate with. */
export function accountsOpenApi(limits: InputLimits = DEFAULT_INPUT_LIMITS) {
  const { createAccountBody, customersPageQuery } = accountSchemas(limits);
  const routes: RouteDoc[] = [
    {
      method: "get",
      path: "/",
      summary: "The dashboard (HTML page)",
      tag: "docs",
      auth: false,
      responses: { 200: { description: "HTML page", contentType: "text/html" } },
    },
    {
      method: "post",
      path: "/auth/login",
      summary: "Log in: a bearer token for the other routes and for customers",
      tag: "auth",
      auth: false,
      body: loginBody,
      responses: {
        200: { description: "the token", schema: tokenResponse },
        401: { description: "wrong credentials" },
      },
    },
    {
      method: "post",
      path: "/auth/refresh",
      summary: "Trade a refresh token (once) for a new access token and refresh token",
      tag: "auth",
      auth: false,
      body: refreshTokenBody,
      responses: {
        200: { description: "the new pair", schema: tokenResponse },
        401: { description: "the refresh token is not valid" },
      },
    },
    {
      method: "post",
      path: "/auth/logout",
      summary: "End the session of a refresh token",
      tag: "auth",
      auth: false,
      body: refreshTokenBody,
      responses: { 204: { description: "ended" } },
    },
    {
      method: "get",
      path: "/.well-known/jwks.json",
      summary: "The public keys that verify tokens",
      tag: "auth",
      auth: false,
      responses: { 200: { description: "a JSON Web Key Set", schema: jwksResponse } },
    },
    {
      method: "get",
      path: "/accounts",
      summary: "The caller's accounts with their customers and revenue",
      tag: "accounts",
      responses: { 200: { description: "accounts by id", schema: z.array(accountResponse) } },
    },
    {
      method: "post",
      path: "/accounts",
      summary: "Create an account owned by the caller",
      tag: "accounts",
      idempotent: true,
      body: createAccountBody,
      responses: { 201: { description: "the new account", schema: accountResponse } },
    },
    {
      method: "get",
      path: "/accounts/events",
      summary:
        "Server-Sent Events of the caller's accounts: a `snapshot` on connecting, then a `change` after each committed batch; ids are stream positions",
      tag: "accounts",
      responses: {
        200: {
          description:
            "an event stream; each message's data is a snapshot or a change (`event: expired` ends it with the token)",
          contentType: "text/event-stream",
          schema: z.union([snapshotEvent, changeEvent]),
        },
        429: { description: "the user already has 20 streams open" },
      },
    },
    {
      method: "get",
      path: "/accounts/:id",
      summary: "One account",
      tag: "accounts",
      responses: {
        200: { description: "the account", schema: accountResponse },
        403: { description: "another user's account" },
        404: { description: "no such account" },
      },
    },
    {
      method: "delete",
      path: "/accounts/:id",
      summary: "Delete an account (409 while it has customers)",
      tag: "accounts",
      idempotent: true,
      responses: {
        204: { description: "deleted" },
        403: { description: "another user's account" },
        404: { description: "no such account" },
        409: { description: "the account still has customers" },
      },
    },
    {
      method: "get",
      path: "/accounts/:id/customers",
      summary: "One page of an account's customers by id",
      tag: "accounts",
      query: customersPageQuery,
      responses: { 200: { description: "a page", schema: customersPageResponse } },
    },
  ];

  return openApiDocument(
    {
      title: "streamledger accounts",
      description: "Users, tokens, accounts, and the revenue read model kept from the event stream.",
    },
    [...routes, ...COMMON_ROUTES],
  );
}
