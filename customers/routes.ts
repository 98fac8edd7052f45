import { Elysia } from "elysia";
import type { Authenticate } from "../shared/auth";
import { created, parseJsonBody, pathId } from "../shared/http";
import type { OutboxRelay } from "../shared/outbox";
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
import type { CustomersStore } from "./store";

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
      const account = checkAccountForNewCustomer(
        store.findAccount(Number(input.account_id)),
        input.account_id,
        caller,
      );
      const createdAt = now();
      const customer = store.addCustomer(
        { accountId: account.id, name: input.name, createdDate: createdAt.toISOString() },
        (row) => envelopeOf(customerCreated(row), newEventId(), createdAt),
      );
      relay.notify();
      return created(customerView(customer));
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
      const found = store.findCustomer(Number(input.customer_id));
      const customer = checkOwnCustomer(
        found,
        accountOf(found),
        caller,
        unknownCustomerReference(input.customer_id),
      );
      const createdAt = now();
      const invoice = store.addInvoice(
        {
          customerId: customer.id,
          purchaseDate: input.purchase_date,
          purchasePriceCents: input.purchase_price_cents,
          createdDate: createdAt.toISOString(),
        },
        (row) => envelopeOf(invoiceCreated(row), newEventId(), createdAt),
      );
      relay.notify();
      return created(invoiceView(invoice));
    });
}
