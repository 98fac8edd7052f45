import { Elysia } from "elysia";
import type { z } from "zod";
import type { Authenticate, Caller } from "../shared/http/auth";
import type { HttpError } from "../shared/http/errors";
import type { InputLimits } from "../shared/http/limits";
import { readPage } from "../shared/http/paging";
import { parseQuery, pathId } from "../shared/http/parse";
import { jsonBody, type WriteRequest, writeRoutes } from "../shared/http/write-route";
import type { OutboxRelay } from "../shared/outbox/relay";
import {
  checkAccountForNewCustomer,
  checkOwnAccount,
  checkOwnCustomer,
  customerCreated,
  customerDeleted,
  customerUpdated,
  customerView,
  customerWithInvoicesView,
  invoiceCreated,
  invoiceDeleted,
  invoiceView,
  unknownCustomer,
  unknownCustomerReference,
  unknownInvoice,
} from "./domain";
import { type CustomerSchemas, customerSchemas } from "./schemas";
import type { CustomersStore } from "./store";

export type CustomerRoutesDeps = {
  /** MAX_NAME_LENGTH and MAX_PAGE_SIZE; the defaults when absent. */
  limits?: InputLimits;
  store: CustomersStore;
  authenticate: Authenticate;
  relay: Pick<OutboxRelay, "notify">;
  now: () => Date;
  newEventId: () => string;
};

type Deps = CustomerRoutesDeps & { schemas: CustomerSchemas };
type Headers = WriteRequest["headers"];
type Query = Record<string, string | undefined>;
type PathRequest = WriteRequest & { id: string };

export function customerRoutes(routeDeps: CustomerRoutesDeps) {
  const deps: Deps = { ...routeDeps, schemas: customerSchemas(routeDeps.limits) };
  const writes = customerWrites(deps);
  const reads = customerReads(deps);
  return new Elysia()
    .post("/customers", ({ body, headers }) => writes.createCustomer({ body, headers }))
    .get("/customers/:id", ({ params, headers }) => reads.showCustomer(params.id, headers))
    .post("/invoices", ({ body, headers }) => writes.createInvoice({ body, headers }))
    .get("/customers", ({ query, headers }) => reads.listCustomers(query, headers))
    .patch("/customers/:id", ({ params, body, headers }) =>
      writes.renameCustomer({ id: params.id, body, headers }),
    )
    .delete("/customers/:id", ({ params, headers }) => writes.deleteCustomer({ id: params.id, headers }))
    .get("/invoices", ({ query, headers }) => reads.listInvoices(query, headers))
    .delete("/invoices/:id", ({ params, headers }) => writes.deleteInvoice({ id: params.id, headers }));
}

/**
 * The caller's own customer with this id: `missing` (404 for a path, 422 for a body) when there is none,
 * 403 when it is in another user's account. Inside a write, it reads in the write's transaction.
 */
function ownCustomer(
  store: CustomersStore,
  id: number | undefined,
  caller: Caller,
  missing: () => HttpError,
) {
  const found = id === undefined ? undefined : store.findCustomer(id);
  const account = found ? store.findAccount(found.accountId) : undefined;
  return checkOwnCustomer(found, account, caller, missing);
}

/**
 * The five writes, each through the one write path. Each keeps the idempotency route string and the
 * request it hashes as they were first stored; the path routes check their id inside the transaction,
 * so a replayed key answers as the first time did.
 */
function customerWrites({ store, authenticate, relay, now, newEventId, schemas }: Deps) {
  const writeRoute = writeRoutes({ authenticate, store, notify: () => relay.notify(), now, newEventId });
  const rawPathId = (request: PathRequest) => request.id;
  const pathAndBody =
    <S extends z.ZodType>(schema: S) =>
    (request: PathRequest) => ({ id: request.id, body: jsonBody(schema)(request) });
  return {
    createCustomer: writeRoute(jsonBody(schemas.createCustomerBody), {
      idempotency: (input) => ({ route: "POST /customers", request: input }),
      write(input, { caller, at, append }) {
        const account = checkAccountForNewCustomer(
          store.findAccount(Number(input.account_id)),
          input.account_id,
          caller,
        );
        const customer = store.insertCustomer({
          accountId: account.id,
          name: input.name,
          createdDate: at.toISOString(),
        });
        append(customerCreated(customer));
        return { status: 201, body: customerView(customer) };
      },
    }),
    createInvoice: writeRoute(jsonBody(schemas.createInvoiceBody), {
      idempotency: (input) => ({ route: "POST /invoices", request: input }),
      write(input, { caller, at, append }) {
        const customer = ownCustomer(store, Number(input.customer_id), caller, () =>
          unknownCustomerReference(input.customer_id),
        );
        const invoice = store.insertInvoice({
          customerId: customer.id,
          purchaseDate: input.purchase_date,
          purchasePriceCents: input.purchase_price_cents,
          currency: input.currency,
          createdDate: at.toISOString(),
        });
        append(invoiceCreated(invoice));
        return { status: 201, body: invoiceView(invoice) };
      },
    }),
    renameCustomer: writeRoute(pathAndBody(schemas.renameCustomerBody), {
      idempotency: (input) => ({ route: `PATCH /customers/${input.id}`, request: input.body }),
      write(input, { caller, at, append }) {
        const customer = ownCustomer(store, pathId(input.id), caller, () => unknownCustomer(input.id));
        const renamed = store.renameCustomer(customer.id, input.body.name);
        append(customerUpdated(renamed, at));
        return { status: 200, body: customerView(renamed) };
      },
    }),
    deleteCustomer: writeRoute(rawPathId, {
      idempotency: (id) => ({ route: `DELETE /customers/${id}`, request: {} }),
      write(id, { caller, at, append }) {
        const customer = ownCustomer(store, pathId(id), caller, () => unknownCustomer(id));
        store.deleteCustomer(customer.id);
        append(customerDeleted(customer, at));
        return { status: 204, body: null };
      },
    }),
    deleteInvoice: writeRoute(rawPathId, {
      idempotency: (id) => ({ route: `DELETE /invoices/${id}`, request: {} }),
      write(id, { caller, at, append }) {
        const invoiceId = pathId(id);
        const invoice = invoiceId === undefined ? undefined : store.findInvoice(invoiceId);
        if (!invoice) throw unknownInvoice(id);
        ownCustomer(store, invoice.customerId, caller, () => unknownInvoice(id));
        store.deleteInvoice(invoice.id);
        append(invoiceDeleted(invoice, at));
        return { status: 204, body: null };
      },
    }),
  };
}

function customerReads({ store, authenticate, schemas }: Deps) {
  return {
    /** GET /customers/:id: the caller's customer with its invoices. */
    async showCustomer(rawId: string, headers: Headers) {
      const caller = await authenticate(headers.authorization);
      const customer = ownCustomer(store, pathId(rawId), caller, () => unknownCustomer(rawId));
      return customerWithInvoicesView(customer, store.invoicesOf(customer.id));
    },

    /** GET /customers?account_id=: a page of the caller's account's customers. */
    async listCustomers(query: Query, headers: Headers) {
      const caller = await authenticate(headers.authorization);
      const { account_id, limit, after } = parseQuery(schemas.customersQuery, query);
      const account = checkOwnAccount(store.findAccount(Number(account_id)), account_id, caller);
      const rows = (count: number) => store.customersPage(account.id, after, count);
      return readPage(limit, rows, (row) => row.id, customerView);
    },

    /** GET /invoices?customer_id=: a page of the caller's customer's invoices. */
    async listInvoices(query: Query, headers: Headers) {
      const caller = await authenticate(headers.authorization);
      const { customer_id, limit, after } = parseQuery(schemas.invoicesQuery, query);
      const customer = ownCustomer(store, Number(customer_id), caller, () => unknownCustomer(customer_id));
      const rows = (count: number) => store.invoicesPage(customer.id, after, count);
      return readPage(limit, rows, (row) => row.id, invoiceView);
    },
  };
}
