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

export type CustomerView = { id: string; account_id: string; name: string; created_date: string };

export type InvoiceView = {
  id: string;
  customer_id: string;
  purchase_date: string;
  purchase_price_cents: number;
  currency: string;
  created_date: string;
};

export type CustomerWithInvoicesView = CustomerView & {
  invoices: InvoiceView[];
  total_revenue_cents: number;
};
