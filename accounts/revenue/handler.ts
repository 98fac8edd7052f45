import type {
  CustomerCreated,
  CustomerDeleted,
  CustomerUpdated,
  InvoiceCreated,
  InvoiceDeleted,
} from "../../shared/events/schemas";
import {
  type AppliedEntry,
  applied,
  deferred,
  type HandlerOutcome,
  rejected,
} from "../../shared/projection/handler";
import { createProjection, type Projection } from "../../shared/projection/projection";
import type { Db } from "../../shared/sqlite/db";
import type { Customer } from "../tables";
import { createRevenueBatchSession, type RevenueBatchSession } from "./batch-session";

export const ACCOUNTS_PROJECTION = "accounts";

/**
 * accounts' database (live and rebuilt) checkpoints its WAL every ~40 MB instead of SQLite's ~4 MB: the
 * checkpoints ran inside the consumer's batch commits, a fifth of its catch-up time. customers keeps the
 * default: there a checkpoint stalls the requests waiting behind its commit.
 */
export const ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Revenue per customer and per account, kept from the customers service's events. AccountDeleted is
 * not handled: accounts are owned here and the route that deletes one writes it (accounts/routes.ts).
 */
export function createRevenueProjection(deps: {
  db: Db;
  now: () => Date;
  newId: () => string;
  parkTimeoutMs?: number;
}): Projection {
  const session = createRevenueBatchSession(deps.db);
  return createProjection({
    ...deps,
    name: ACCOUNTS_PROJECTION,
    handles: ["CustomerCreated", "CustomerUpdated", "CustomerDeleted", "InvoiceCreated", "InvoiceDeleted"],
    // The session's statements run on deps.db's connection: inside the savepoint the projection opened.
    handle: (_tx, entry) => applyRevenueEvent(session, entry),
    session,
  });
}

// Every rule here has its twin in test/support/revenue-fold.ts (the property tests hold them to each other); change both together.
function applyRevenueEvent(session: RevenueBatchSession, { event }: AppliedEntry): HandlerOutcome {
  switch (event.type) {
    case "CustomerCreated":
      return customerCreated(session, event.payload);
    case "CustomerUpdated":
      return customerUpdated(session, event.payload);
    case "CustomerDeleted":
      return customerDeleted(session, event.payload);
    case "InvoiceCreated":
      return invoiceCreated(session, event.payload);
    case "InvoiceDeleted":
      return invoiceDeleted(session, event.payload);
    default:
      return applied();
  }
}

function customerCreated(session: RevenueBatchSession, payload: CustomerCreated["payload"]): HandlerOutcome {
  const { id, account_id, name } = payload;
  if (!session.accountExists(Number(account_id))) {
    return rejected(`customer ${id} names account ${account_id}, which does not exist`);
  }
  if (session.findCustomer(Number(id))) return rejected(`customer ${id} already exists`);
  session.addCustomer({ id: Number(id), accountId: Number(account_id), name });
  return applied(customerKey(id));
}

function customerUpdated(session: RevenueBatchSession, payload: CustomerUpdated["payload"]): HandlerOutcome {
  const { id, account_id, name } = payload;
  const found = liveCustomer(session, id, account_id, "an update");
  if ("kind" in found) return found;
  session.renameCustomer(found.id, name);
  return applied();
}

function customerDeleted(session: RevenueBatchSession, payload: CustomerDeleted["payload"]): HandlerOutcome {
  const { id, account_id, deleted_date } = payload;
  const found = liveCustomer(session, id, account_id, "a deletion");
  if ("kind" in found) return found;
  session.deleteCustomer(found, deleted_date);
  return applied();
}

function invoiceCreated(session: RevenueBatchSession, payload: InvoiceCreated["payload"]): HandlerOutcome {
  const { id, customer_id, purchase_price_cents, purchase_date } = payload;
  const customer = session.findCustomer(Number(customer_id));
  // Another producer may put an invoice on the stream before its customer: it waits for it.
  if (!customer) {
    return deferred(customerKey(customer_id), `invoice ${id} names customer ${customer_id}, not seen yet`);
  }
  if (customer.deletedDate !== null) return rejected(`customer ${customer_id} was deleted`);
  const invoice = {
    id: Number(id),
    customerId: customer.id,
    purchasePriceCents: purchase_price_cents,
    purchaseDate: purchase_date,
  };
  // A deleted invoice keeps its row, so its id is still refused.
  if (!session.addInvoice(invoice, customer.accountId)) return rejected(`invoice ${id} was already counted`);
  return applied(invoiceKey(id));
}

function invoiceDeleted(session: RevenueBatchSession, payload: InvoiceDeleted["payload"]): HandlerOutcome {
  const { id, customer_id, deleted_date } = payload;
  const invoice = session.findInvoice(Number(id));
  if (!invoice) return deferred(invoiceKey(id), `deletion of invoice ${id}, not seen yet`);
  if (invoice.deletedDate !== null) return rejected(`invoice ${id} was already deleted`);
  if (invoice.customerId !== Number(customer_id)) {
    return rejected(`invoice ${id} belongs to customer ${invoice.customerId}, not ${customer_id}`);
  }
  const customer = session.findCustomer(invoice.customerId);
  if (!customer) return rejected(`invoice ${id} has no customer row`);
  // The amount counted is the one recorded, whatever the deletion's payload says.
  session.deleteInvoice(invoice, customer.accountId, deleted_date);
  return applied();
}

/** The customer an update or deletion names: parked until it exists, refused once deleted or moved. */
function liveCustomer(
  session: RevenueBatchSession,
  id: string,
  accountId: string,
  what: string,
): Readonly<Customer> | HandlerOutcome {
  const customer = session.findCustomer(Number(id));
  if (!customer) return deferred(customerKey(id), `${what} of customer ${id}, not seen yet`);
  if (customer.deletedDate !== null) return rejected(`customer ${id} was deleted`);
  if (customer.accountId !== Number(accountId)) {
    return rejected(`customer ${id} belongs to account ${customer.accountId}, not ${accountId}`);
  }
  return customer;
}

const customerKey = (customerId: string) => `customer:${customerId}`;
const invoiceKey = (invoiceId: string) => `invoice:${invoiceId}`;
