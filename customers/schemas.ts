import { z } from "zod";
import { calendarDate, cents, currency, decimalId } from "../shared/events/schemas";
import { DEFAULT_INPUT_LIMITS, type InputLimits, nameSchema, pageLimitSchema } from "../shared/http/limits";
import { pageResponse } from "../shared/http/paging";

/** The request schemas, with the configured name and page size limits. */
export function customerSchemas(limits: InputLimits = DEFAULT_INPUT_LIMITS) {
  const customerName = nameSchema(limits.maxNameLength);
  const pageLimit = pageLimitSchema(limits.maxPageSize);
  return {
    createCustomerBody: z.strictObject({ name: customerName, account_id: decimalId }),
    createInvoiceBody: z.strictObject({
      customer_id: decimalId,
      purchase_date: calendarDate,
      purchase_price_cents: cents,
      currency: currency.default("USD"),
    }),
    renameCustomerBody: z.strictObject({ name: customerName }),
    customersQuery: z.object({
      account_id: decimalId,
      limit: pageLimit,
      after: decimalId.transform(Number).default(0),
    }),
    invoicesQuery: z.object({
      customer_id: decimalId,
      limit: pageLimit,
      after: decimalId.transform(Number).default(0),
    }),
  };
}

export type CustomerSchemas = ReturnType<typeof customerSchemas>;

export type CreateCustomerBody = z.infer<CustomerSchemas["createCustomerBody"]>;
export type CreateInvoiceBody = z.infer<CustomerSchemas["createInvoiceBody"]>;

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

export const customersPageResponse = pageResponse(customerResponse);
export const invoicesPageResponse = pageResponse(invoiceResponse);

export type CustomerView = z.infer<typeof customerResponse>;
export type InvoiceView = z.infer<typeof invoiceResponse>;
export type CustomerWithInvoicesView = z.infer<typeof customerWithInvoicesResponse>;
