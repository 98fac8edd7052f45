import { z } from "zod";
import { decimalId } from "../shared/events/schemas";
import {
  DEFAULT_INPUT_LIMITS,
  type InputLimits,
  nameSchema,
  pageLimitSchema,
  textSchema,
} from "../shared/http/limits";
import { pageResponse } from "../shared/http/paging";

/** A username as `ops user add` creates it: 1 to 100 of A-Z a-z 0-9 . _ - (no space, nothing invisible). */
export const newUsername = z
  .string({ error: "must be a string" })
  .regex(/^[A-Za-z0-9._-]{1,100}$/, "must be 1 to 100 characters of A-Z a-z 0-9 . _ -");

export const loginBody = z.strictObject({
  username: textSchema().min(1, "must not be empty").max(100, "is too long"),
  password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1000, "is too long"),
});

export const refreshTokenBody = z.strictObject({
  refresh_token: z.string({ error: "must be a string" }).min(1, "must not be empty").max(200, "is too long"),
});

/** The request schemas whose limits are configured (MAX_NAME_LENGTH, MAX_PAGE_SIZE). */
export function accountSchemas(limits: InputLimits = DEFAULT_INPUT_LIMITS) {
  return {
    createAccountBody: z.strictObject({
      name: nameSchema(limits.maxNameLength),
      description: textSchema().trim().max(1000, "must be at most 1000 characters").default(""),
    }),
    /** GET /accounts/:id/customers: `limit` (default 50), `after` the last customer id of the page before. */
    customersPageQuery: z.object({
      limit: pageLimitSchema(limits.maxPageSize),
      after: decimalId.transform(Number).optional(),
    }),
  };
}

export type AccountSchemas = ReturnType<typeof accountSchemas>;

export type LoginBody = z.infer<typeof loginBody>;
export type CreateAccountBody = z.infer<AccountSchemas["createAccountBody"]>;

/** `token` is the short-lived access token; `refresh_token` buys a new pair once (POST /auth/refresh). */
export const tokenResponse = z.object({
  token: z.string(),
  token_type: z.literal("Bearer"),
  expires_in: z.number().int().describe("seconds"),
  refresh_token: z.string(),
  refresh_expires_in: z.number().int().describe("seconds"),
});

export const customerItemResponse = z.object({
  customer_id: z.string(),
  name: z.string(),
  total_revenue_cents: z.number().int(),
});

/** The legacy system's account shape (numeric account id, string customer ids), kept for its clients. */
export const accountResponse = z.object({
  account: z.object({
    id: z.number().int(),
    name: z.string(),
    description: z.string(),
    owned_by: z.string(),
    created_date: z.string(),
  }),
  customers: z.array(customerItemResponse),
  total_revenue_cents: z.number().int(),
});

export const customersPageResponse = pageResponse(customerItemResponse);

export const jwksResponse = z.object({ keys: z.array(z.looseObject({ kty: z.string(), kid: z.string() })) });

/** GET /accounts/events, `event: snapshot`: every account of the caller as of `position`. */
export const snapshotEvent = z.object({
  position: z.string().describe("the stream ID the read model reflects (also the message's id)"),
  resumed_from: z.string().nullable().describe("the Last-Event-ID the client sent, if any"),
  accounts: z.array(accountResponse),
});

/** GET /accounts/events, `event: change`: the caller's accounts that differ, and those gone. */
export const changeEvent = z.object({
  position: z.string(),
  accounts: z.array(accountResponse),
  removed: z.array(z.number().int()),
});

export type TokenResponse = z.infer<typeof tokenResponse>;
export type SnapshotEvent = z.infer<typeof snapshotEvent>;
export type ChangeEvent = z.infer<typeof changeEvent>;
export type AccountView = z.infer<typeof accountResponse>;
export type CustomerItem = z.infer<typeof customerItemResponse>;
