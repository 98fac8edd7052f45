import type { Db } from "../shared/db";
import { type AppliedEntry, createProjection, type Projection, RejectedEvent } from "../shared/projection";
import { readModel } from "./store";

export const ACCOUNTS_PROJECTION = "accounts";

/** Revenue per customer and per account, kept from CustomerCreated and InvoiceCreated events. */
export function createRevenueProjection(db: Db, now: () => Date): Projection {
  return createProjection({
    db,
    name: ACCOUNTS_PROJECTION,
    handles: ["CustomerCreated", "InvoiceCreated"],
    handle: applyRevenueEvent,
    now,
  });
}

function applyRevenueEvent(tx: Db, entry: AppliedEntry): void {
  const { event } = entry;
  switch (event.type) {
    case "CustomerCreated": {
      const { id, account_id, name } = event.payload;
      if (!readModel.accountExists(tx, Number(account_id))) {
        throw new RejectedEvent(`customer ${id} names account ${account_id}, which does not exist`);
      }
      if (readModel.findCustomer(tx, Number(id))) throw new RejectedEvent(`customer ${id} already exists`);
      readModel.addCustomer(tx, { id: Number(id), accountId: Number(account_id), name });
      return;
    }
    case "InvoiceCreated": {
      const { id, customer_id, purchase_price_cents, purchase_date } = event.payload;
      const customer = readModel.findCustomer(tx, Number(customer_id));
      if (!customer)
        throw new RejectedEvent(`invoice ${id} names customer ${customer_id}, which does not exist`);
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
      return;
    }
    default:
      return;
  }
}
