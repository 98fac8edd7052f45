import { DEFAULT_INPUT_LIMITS, type InputLimits } from "../shared/http/limits";
import { COMMON_ROUTES, openApiDocument, type RouteDoc } from "../shared/http/openapi";
import {
  customerResponse,
  customerSchemas,
  customersPageResponse,
  customerWithInvoicesResponse,
  invoiceResponse,
  invoicesPageResponse,
} from "./schemas";

const notYours = { 403: { description: "another user's" }, 404: { description: "no such id" } };

/** The customers service's OpenAPI document, from the zod schemas its routes validate with. */
export function customersOpenApi(limits: InputLimits = DEFAULT_INPUT_LIMITS) {
  const { createCustomerBody, createInvoiceBody, customersQuery, invoicesQuery, renameCustomerBody } =
    customerSchemas(limits);
  const routes: RouteDoc[] = [
    {
      method: "post",
      path: "/customers",
      summary: "Create a customer in one of the caller's accounts",
      tag: "customers",
      idempotent: true,
      body: createCustomerBody,
      responses: { 201: { description: "the new customer", schema: customerResponse }, ...notYours },
    },
    {
      method: "get",
      path: "/customers",
      summary: "One page of an account's customers by id",
      tag: "customers",
      query: customersQuery,
      responses: { 200: { description: "a page", schema: customersPageResponse }, ...notYours },
    },
    {
      method: "get",
      path: "/customers/:id",
      summary: "A customer with its invoices and revenue",
      tag: "customers",
      responses: { 200: { description: "the customer", schema: customerWithInvoicesResponse }, ...notYours },
    },
    {
      method: "patch",
      path: "/customers/:id",
      summary: "Rename a customer",
      tag: "customers",
      idempotent: true,
      body: renameCustomerBody,
      responses: { 200: { description: "the renamed customer", schema: customerResponse }, ...notYours },
    },
    {
      method: "delete",
      path: "/customers/:id",
      summary: "Delete a customer and its invoices",
      tag: "customers",
      idempotent: true,
      responses: { 204: { description: "deleted" }, ...notYours },
    },
    {
      method: "post",
      path: "/invoices",
      summary: "Record an invoice for one of the caller's customers",
      tag: "invoices",
      idempotent: true,
      body: createInvoiceBody,
      responses: { 201: { description: "the new invoice", schema: invoiceResponse }, ...notYours },
    },
    {
      method: "get",
      path: "/invoices",
      summary: "One page of a customer's invoices by id",
      tag: "invoices",
      query: invoicesQuery,
      responses: { 200: { description: "a page", schema: invoicesPageResponse }, ...notYours },
    },
    {
      method: "delete",
      path: "/invoices/:id",
      summary: "Delete an invoice",
      tag: "invoices",
      idempotent: true,
      responses: { 204: { description: "deleted" }, ...notYours },
    },
  ];

  return openApiDocument(
    {
      title: "streamledger customers",
      description: "Customers and invoices; every write publishes its event through the outbox.",
    },
    [...routes, ...COMMON_ROUTES],
  );
}
