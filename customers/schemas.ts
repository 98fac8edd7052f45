import { z } from "zod";
import { calendarDate, cents, decimalId } from "../shared/events";

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
});

export type CreateCustomerBody = z.infer<typeof createCustomerBody>;
export type CreateInvoiceBody = z.infer<typeof createInvoiceBody>;

export type CustomerView = { id: string; account_id: string; name: string; created_date: string };

export type InvoiceView = {
  id: string;
  customer_id: string;
  purchase_date: string;
  purchase_price_cents: number;
  created_date: string;
};

export type CustomerWithInvoicesView = CustomerView & {
  invoices: InvoiceView[];
  total_revenue_cents: number;
};
