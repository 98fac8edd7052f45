import type { Db } from "../shared/db";
import {
  type AppliedEntry,
  createProjection,
  DeferredEvent,
  type HandlerOutcome,
  type Projection,
  RejectedEvent,
} from "../shared/projection";
import { readModel } from "./store";

export const ACCOUNTS_PROJECTION = "accounts";

/** Revenue per customer and per account, kept from CustomerCreated and InvoiceCreated events. */
export function createRevenueProjection(deps: {
  db: Db;
  now: () => Date;
  newId: () => string;
  parkTimeoutMs?: number;
}): Projection {
  return createProjection({
    ...deps,
    name: ACCOUNTS_PROJECTION,
    handles: ["CustomerCreated", "InvoiceCreated"],
    handle: applyRevenueEvent,
  });
}

function applyRevenueEvent(tx: Db, entry: AppliedEntry): HandlerOutcome {
  const { event } = entry;
  switch (event.type) {
    case "CustomerCreated": {
      const { id, account_id, name } = event.payload;
      if (!readModel.accountExists(tx, Number(account_id))) {
        throw new RejectedEvent(`customer ${id} names account ${account_id}, which does not exist`);
      }
      if (readModel.findCustomer(tx, Number(id))) throw new RejectedEvent(`customer ${id} already exists`);
      readModel.addCustomer(tx, { id: Number(id), accountId: Number(account_id), name });
      return { resolves: customerKey(id) };
    }
    case "InvoiceCreated": {
      const { id, customer_id, purchase_price_cents, purchase_date } = event.payload;
      const customer = readModel.findCustomer(tx, Number(customer_id));
      // Another producer may put an invoice on the stream before its customer: it waits for it.
      if (!customer) {
        throw new DeferredEvent(
          customerKey(customer_id),
          `invoice ${id} names customer ${customer_id}, not seen yet`,
        );
      }
      if (readModel.invoiceExists(tx, Number(id)))
        throw new RejectedEvent(`invoice ${id} was already counted`);
      readModel.addInvoice(
        tx,
        {
          id: Number(id),
          customerId: customer.id,
          purchasePriceCents: purchase_price_cents,
          purchaseDate: purchase_date,
        },
        customer.accountId,
      );
      return undefined;
    }
    default:
      return undefined;
  }
}

const customerKey = (customerId: string) => `customer:${customerId}`;
