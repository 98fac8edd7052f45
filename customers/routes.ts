import { Elysia } from "elysia";
import type { Authenticate } from "../shared/auth";
import { parseJsonBody, pathId } from "../shared/http";
import { idempotencyKeyOf, replyResponse } from "../shared/idempotency";
import { appendToOutbox, type OutboxRelay } from "../shared/outbox";
import { envelopeOf } from "../shared/wire";
import {
  checkAccountForNewCustomer,
  checkOwnCustomer,
  customerCreated,
  customerView,
  customerWithInvoicesView,
  invoiceCreated,
  invoiceView,
  unknownCustomer,
  unknownCustomerReference,
} from "./domain";
import { createCustomerBody, createInvoiceBody } from "./schemas";
import { type CustomersStore, insertCustomer, insertInvoice } from "./store";

export type CustomerRoutesDeps = {
  store: CustomersStore;
  authenticate: Authenticate;
  relay: Pick<OutboxRelay, "notify">;
  now: () => Date;
  newEventId: () => string;
};

export function customerRoutes({ store, authenticate, relay, now, newEventId }: CustomerRoutesDeps) {
  const accountOf = (customer: { accountId: number } | undefined) =>
    customer ? store.findAccount(customer.accountId) : undefined;

  return new Elysia()
    .post("/customers", async ({ body, headers }) => {
      const caller = await authenticate(headers.authorization);
      const input = parseJsonBody(createCustomerBody, body, headers["content-type"]);
      const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "POST /customers", input);
      const createdAt = now();
      const reply = store.commit(key, createdAt, (tx) => {
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
        appendToOutbox(tx, envelopeOf(customerCreated(customer), newEventId(), createdAt));
        return { status: 201, body: customerView(customer) };
      });
      relay.notify();
      return replyResponse(reply);
    })
    .get("/customers/:id", async ({ params, headers }) => {
      const caller = await authenticate(headers.authorization);
      const id = pathId(params.id);
      const found = id === undefined ? undefined : store.findCustomer(id);
      const customer = checkOwnCustomer(found, accountOf(found), caller, unknownCustomer(params.id));
      return customerWithInvoicesView(customer, store.invoicesOf(customer.id));
    })
    .post("/invoices", async ({ body, headers }) => {
      const caller = await authenticate(headers.authorization);
      const input = parseJsonBody(createInvoiceBody, body, headers["content-type"]);
      const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "POST /invoices", input);
      const createdAt = now();
      const reply = store.commit(key, createdAt, (tx) => {
        const found = store.findCustomer(Number(input.customer_id));
        const customer = checkOwnCustomer(
          found,
          accountOf(found),
          caller,
          unknownCustomerReference(input.customer_id),
        );
        const invoice = insertInvoice(tx, {
          customerId: customer.id,
          purchaseDate: input.purchase_date,
          purchasePriceCents: input.purchase_price_cents,
          createdDate: createdAt.toISOString(),
        });
        appendToOutbox(tx, envelopeOf(invoiceCreated(invoice), newEventId(), createdAt));
        return { status: 201, body: invoiceView(invoice) };
      });
      relay.notify();
      return replyResponse(reply);
    });
}
