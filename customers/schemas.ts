import { z } from "zod";
import { calendarDate, cents, currency, decimalId } from "../shared/events";

const customerName = z
  .string({ error: "must be a string" })
  .trim()
  .min(1, "must not be empty")
  .max(200, "must be at most 200 characters");

export const createCustomerBody = z.strictObject({
  name: customerName,
  account_id: decimalId,
});

export const createInvoiceBody = z.strictObject({
  customer_id: decimalId,
  purchase_date: calendarDate,
  purchase_price_cents: cents,
  currency: currency.default("USD"),
});

export const renameCustomerBody = z.strictObject({ name: customerName });

const pageLimit = z
  .string()
  .regex(/^[1-9][0-9]{0,2}$/, "must be a whole number from 1 to 200")
  .transform(Number)
  .refine((limit) => limit <= 200, "must be a whole number from 1 to 200")
  .default(50);

export const customersQuery = z.strictObject({
  account_id: decimalId,
  limit: pageLimit,
  after: decimalId.transform(Number).default(0),
});

export const invoicesQuery = z.strictObject({
  customer_id: decimalId,
  limit: pageLimit,
  after: decimalId.transform(Number).default(0),
});

export type CreateCustomerBody = z.infer<typeof createCustomerBody>;
export type CreateInvoiceBody = z.infer<typeof createInvoiceBody>;

export const customerResponse = z.object({
  id: z.string(),
  account_id: z.string(),
  name: z.string(),
  created_date: z.string(),
});

export const invoiceResponse = z.object({
  id: z.string(),
  customer_id: z.string(),
  purchase_date: z.string(),
  purchase_price_cents: z.number().int(),
  currency: z.string(),
  created_date: z.string(),
});

export const customerWithInvoicesResponse = customerResponse.extend({
  invoices: z.array(invoiceResponse),
  total_revenue_cents: z.number().int(),
});

export const customersPageResponse = z.object({
  items: z.array(customerResponse),
  next_after: z.string().nullable(),
});
export const invoicesPageResponse = z.object({
  items: z.array(invoiceResponse),
  next_after: z.string().nullable(),
});

export type CustomerView = z.infer<typeof customerResponse>;
export type InvoiceView = z.infer<typeof invoiceResponse>;
export type CustomerWithInvoicesView = z.infer<typeof customerWithInvoicesResponse>;
