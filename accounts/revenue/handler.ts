import {
  type AppliedEntry,
  createProjection,
  DeferredEvent,
  type HandlerOutcome,
  type Projection,
  RejectedEvent,
} from "../../shared/projection/projection";
import type { Db } from "../../shared/sqlite/db";
import type { Customer } from "../tables";
import { createReadModel, type ReadModel } from "./batch-session";

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
  const model = createReadModel(deps.db);
  return createProjection({
    ...deps,
    name: ACCOUNTS_PROJECTION,
    handles: ["CustomerCreated", "CustomerUpdated", "CustomerDeleted", "InvoiceCreated", "InvoiceDeleted"],
    // The model's statements run on deps.db's connection: inside the savepoint the projection opened.
    handle: (_tx, entry) => applyRevenueEvent(model, entry),
    session: model,
  });
}

// Every rule here has its twin in test/support/revenue-fold.ts (the property tests hold them to each other); change both together.
function applyRevenueEvent(readModel: ReadModel, entry: AppliedEntry): HandlerOutcome {
  const { event } = entry;
  switch (event.type) {
    case "CustomerCreated": {
      const { id, account_id, name } = event.payload;
      if (!readModel.accountExists(Number(account_id))) {
        throw new RejectedEvent(`customer ${id} names account ${account_id}, which does not exist`);
      }
      if (readModel.findCustomer(Number(id))) throw new RejectedEvent(`customer ${id} already exists`);
      readModel.addCustomer({ id: Number(id), accountId: Number(account_id), name });
      return { resolves: customerKey(id) };
    }
    case "CustomerUpdated": {
      const { id, account_id, name } = event.payload;
      const customer = liveCustomer(readModel, id, account_id, "an update");
      readModel.renameCustomer(customer.id, name);
      return undefined;
    }
    case "CustomerDeleted": {
      const { id, account_id, deleted_date } = event.payload;
      const customer = liveCustomer(readModel, id, account_id, "a deletion");
      readModel.deleteCustomer(customer, deleted_date);
      return undefined;
    }
    case "InvoiceCreated": {
      const { id, customer_id, purchase_price_cents, purchase_date } = event.payload;
      const customer = readModel.findCustomer(Number(customer_id));
      // Another producer may put an invoice on the stream before its customer: it waits for it.
      if (!customer) {
        throw new DeferredEvent(
          customerKey(customer_id),
          `invoice ${id} names customer ${customer_id}, not seen yet`,
        );
      }
      if (customer.deletedDate !== null) throw new RejectedEvent(`customer ${customer_id} was deleted`);
      const added = readModel.addInvoice(
        {
          id: Number(id),
          customerId: customer.id,
          purchasePriceCents: purchase_price_cents,
          purchaseDate: purchase_date,
        },
        customer.accountId,
      );
      // A deleted invoice keeps its row, so its id is still refused.
      if (!added) throw new RejectedEvent(`invoice ${id} was already counted`);
      return { resolves: invoiceKey(id) };
    }
    case "InvoiceDeleted": {
      const { id, customer_id, deleted_date } = event.payload;
      const invoice = readModel.findInvoice(Number(id));
      if (!invoice) throw new DeferredEvent(invoiceKey(id), `deletion of invoice ${id}, not seen yet`);
      if (invoice.deletedDate !== null) throw new RejectedEvent(`invoice ${id} was already deleted`);
      if (invoice.customerId !== Number(customer_id)) {
        throw new RejectedEvent(
          `invoice ${id} belongs to customer ${invoice.customerId}, not ${customer_id}`,
        );
      }
      const customer = readModel.findCustomer(invoice.customerId);
      if (!customer) throw new RejectedEvent(`invoice ${id} has no customer row`);
      // The amount counted is the one recorded, whatever the deletion's payload says.
      readModel.deleteInvoice(invoice, customer.accountId, deleted_date);
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The customer an update or deletion names: parked until it exists, refused once deleted or moved. */
function liveCustomer(readModel: ReadModel, id: string, accountId: string, what: string): Customer {
  const customer = readModel.findCustomer(Number(id));
  if (!customer) throw new DeferredEvent(customerKey(id), `${what} of customer ${id}, not seen yet`);
  if (customer.deletedDate !== null) throw new RejectedEvent(`customer ${id} was deleted`);
  if (customer.accountId !== Number(accountId)) {
    throw new RejectedEvent(`customer ${id} belongs to account ${customer.accountId}, not ${accountId}`);
  }
  return customer;
}

const customerKey = (customerId: string) => `customer:${customerId}`;
const invoiceKey = (invoiceId: string) => `invoice:${invoiceId}`;
