import { Elysia } from "elysia";
import { envelopeOf } from "../shared/events/wire";
import type { Authenticate, Caller } from "../shared/http/auth";
import { idempotencyKeyOf, replyResponse } from "../shared/http/idempotency";
import type { InputLimits } from "../shared/http/limits";
import { readPage } from "../shared/http/paging";
import { parseJsonBody, parseQuery, pathId } from "../shared/http/parse";
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
import { customerSchemas } from "./schemas";
import { type CustomersStore, deleteCustomer, deleteInvoice, insertCustomer, renameCustomer } from "./store";

export type CustomerRoutesDeps = {
  /** MAX_NAME_LENGTH and MAX_PAGE_SIZE; the defaults when absent. */
  limits?: InputLimits;
  store: CustomersStore;
  authenticate: Authenticate;
  relay: Pick<OutboxRelay, "notify">;
  now: () => Date;
  newEventId: () => string;
};

export function customerRoutes({ store, authenticate, relay, now, newEventId, limits }: CustomerRoutesDeps) {
  const { createCustomerBody, createInvoiceBody, customersQuery, invoicesQuery, renameCustomerBody } =
    customerSchemas(limits);
  const accountOf = (customer: { accountId: number } | undefined) =>
    customer ? store.findAccount(customer.accountId) : undefined;

  return new Elysia()
    .post("/customers", async ({ body, headers }) => {
      const caller = await authenticate(headers.authorization);
      const input = parseJsonBody(createCustomerBody, body, headers["content-type"]);
      const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "POST /customers", input);
      const createdAt = now();
      const reply = await store.commit(key, createdAt, (tx) => {
        const account = checkAccountForNewCustomer(
          store.findAccount(Number(input.account_id)),
          input.account_id,
          caller,
        );
        const customer = insertCustomer(tx, {
          accountId: account.id,
          name: input.name,
          createdDate: createdAt.toISOString(),
        });
        store.appendEvent(envelopeOf(customerCreated(customer), newEventId(), createdAt));
        return { status: 201, body: customerView(customer) };
      });
      relay.notify();
      return replyResponse(reply);
    })
    .get("/customers/:id", async ({ params, headers }) => {
      const caller = await authenticate(headers.authorization);
      const id = pathId(params.id);
      const found = id === undefined ? undefined : store.findCustomer(id);
      const customer = checkOwnCustomer(found, accountOf(found), caller, () => unknownCustomer(params.id));
      return customerWithInvoicesView(customer, store.invoicesOf(customer.id));
    })
    .post("/invoices", async ({ body, headers }) => {
      const caller = await authenticate(headers.authorization);
      const input = parseJsonBody(createInvoiceBody, body, headers["content-type"]);
      const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "POST /invoices", input);
      const createdAt = now();
      const reply = await store.commit(key, createdAt, () => {
        const found = store.findCustomer(Number(input.customer_id));
        const customer = checkOwnCustomer(found, accountOf(found), caller, () =>
          unknownCustomerReference(input.customer_id),
        );
        const invoice = store.insertInvoice({
          customerId: customer.id,
          purchaseDate: input.purchase_date,
          purchasePriceCents: input.purchase_price_cents,
          currency: input.currency,
          createdDate: createdAt.toISOString(),
        });
        store.appendEvent(envelopeOf(invoiceCreated(invoice), newEventId(), createdAt));
        return { status: 201, body: invoiceView(invoice) };
      });
      relay.notify();
      return replyResponse(reply);
    })
    .get("/customers", async ({ query, headers }) => {
      const caller = await authenticate(headers.authorization);
      const { account_id, limit, after } = parseQuery(customersQuery, query);
      const account = checkOwnAccount(store.findAccount(Number(account_id)), account_id, caller);
      return readPage(
        limit,
        (count) => store.customersPage(account.id, after, count),
        (row) => row.id,
        customerView,
      );
    })
    .patch("/customers/:id", async ({ params, body, headers }) => {
      const caller = await authenticate(headers.authorization);
      const input = parseJsonBody(renameCustomerBody, body, headers["content-type"]);
      const key = idempotencyKeyOf(
        headers["idempotency-key"],
        caller.username,
        `PATCH /customers/${params.id}`,
        input,
      );
      const at = now();
      const reply = await store.commit(key, at, (tx) => {
        const customer = ownCustomerAt(params.id, caller);
        const renamed = renameCustomer(tx, customer.id, input.name);
        store.appendEvent(envelopeOf(customerUpdated(renamed, at), newEventId(), at));
        return { status: 200, body: customerView(renamed) };
      });
      relay.notify();
      return replyResponse(reply);
    })
    .delete("/customers/:id", async ({ params, headers }) => {
      const caller = await authenticate(headers.authorization);
      const key = idempotencyKeyOf(
        headers["idempotency-key"],
        caller.username,
        `DELETE /customers/${params.id}`,
        {},
      );
      const at = now();
      const reply = await store.commit(key, at, (tx) => {
        const customer = ownCustomerAt(params.id, caller);
        deleteCustomer(tx, customer.id);
        store.appendEvent(envelopeOf(customerDeleted(customer, at), newEventId(), at));
        return { status: 204, body: null };
      });
      relay.notify();
      return replyResponse(reply);
    })
    .get("/invoices", async ({ query, headers }) => {
      const caller = await authenticate(headers.authorization);
      const { customer_id, limit, after } = parseQuery(invoicesQuery, query);
      const found = store.findCustomer(Number(customer_id));
      const customer = checkOwnCustomer(found, accountOf(found), caller, () => unknownCustomer(customer_id));
      return readPage(
        limit,
        (count) => store.invoicesPage(customer.id, after, count),
        (row) => row.id,
        invoiceView,
      );
    })
    .delete("/invoices/:id", async ({ params, headers }) => {
      const caller = await authenticate(headers.authorization);
      const key = idempotencyKeyOf(
        headers["idempotency-key"],
        caller.username,
        `DELETE /invoices/${params.id}`,
        {},
      );
      const at = now();
      const reply = await store.commit(key, at, (tx) => {
        const id = pathId(params.id);
        const invoice = id === undefined ? undefined : store.findInvoice(id);
        if (!invoice) throw unknownInvoice(params.id);
        const owner = store.findCustomer(invoice.customerId);
        checkOwnCustomer(owner, accountOf(owner), caller, () => unknownInvoice(params.id));
        deleteInvoice(tx, invoice.id);
        store.appendEvent(envelopeOf(invoiceDeleted(invoice, at), newEventId(), at));
        return { status: 204, body: null };
      });
      relay.notify();
      return replyResponse(reply);
    });

  /** The caller's own customer named by a path id, read inside the write's transaction. */
  function ownCustomerAt(rawId: string, caller: Caller) {
    const id = pathId(rawId);
    const found = id === undefined ? undefined : store.findCustomer(id);
    return checkOwnCustomer(found, accountOf(found), caller, () => unknownCustomer(rawId));
  }
}
