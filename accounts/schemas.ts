import { z } from "zod";
import { decimalId } from "../shared/events";

export const loginBody = z.strictObject({
  username: z.string({ error: "must be a string" }).min(1, "must not be empty").max(100, "is too long"),
  password: z.string({ error: "must be a string" }).min(1, "must not be empty").max(1000, "is too long"),
});

export const refreshTokenBody = z.strictObject({
  refresh_token: z.string({ error: "must be a string" }).min(1, "must not be empty").max(200, "is too long"),
});

export const createAccountBody = z.strictObject({
  name: z.string({ error: "must be a string" }).trim().min(1, "must not be empty").max(100, "is too long"),
  description: z.string({ error: "must be a string" }).trim().max(1000, "is too long").default(""),
});

export const MAX_PAGE_SIZE = 200;

/** GET /accounts/:id/customers: `limit` 1..200 (default 50), `after` the last customer id of the page before. */
export const customersPageQuery = z.object({
  limit: z
    .string()
    .regex(/^[0-9]{1,3}$/, { message: `must be an integer from 1 to ${MAX_PAGE_SIZE}`, abort: true })
    .transform(Number)
    .refine((n) => n >= 1 && n <= MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .default(50),
  after: decimalId.transform(Number).optional(),
});

export type LoginBody = z.infer<typeof loginBody>;
export type CreateAccountBody = z.infer<typeof createAccountBody>;

/** `token` is the short-lived access token; `refresh_token` buys a new pair once (POST /auth/refresh). */
export type TokenResponse = {
  token: string;
  token_type: "Bearer";
  expires_in: number;
  refresh_token: string;
  refresh_expires_in: number;
};

/** The legacy system's account shape (numeric account id, string customer ids), kept for its clients. */
export type AccountView = {
  account: { id: number; name: string; description: string; owned_by: string; created_date: string };
  customers: { customer_id: string; name: string; total_revenue_cents: number }[];
  total_revenue_cents: number;
};

export type CustomerItem = AccountView["customers"][number];

export type CustomersPage = { items: CustomerItem[]; next_after: string | null };
