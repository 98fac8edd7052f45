import type { Db } from "../shared/db";
import { type AppliedEntry, createProjection, type Projection, RejectedEvent } from "../shared/projection";
import { rememberAccount, reserveIdsThrough } from "./store";

export const CUSTOMERS_PROJECTION = "customers";

/**
 * customers' view of the stream: the accounts (from AccountCreated), and the ids other producers have
 * used for customers and invoices, which it must not hand out again.
 */
export function createAccountsView(deps: { db: Db; now: () => Date; newId: () => string }): Projection {
  return createProjection({
    ...deps,
    name: CUSTOMERS_PROJECTION,
    handles: ["AccountCreated", "CustomerCreated", "InvoiceCreated"],
    handle: applyEvent,
  });
}

function applyEvent(tx: Db, entry: AppliedEntry): undefined {
  const { event } = entry;
  switch (event.type) {
    case "AccountCreated": {
      const { id, name, owned_by, created_date } = event.payload;
      const remembered = rememberAccount(tx, {
        id: Number(id),
        name,
        ownedBy: owned_by,
        createdDate: created_date,
      });
      if (!remembered) throw new RejectedEvent(`account ${id} is already known with another owner`);
      return;
    }
    case "CustomerCreated":
      reserveIdsThrough(tx, "customers", Number(event.payload.id));
      return;
    case "InvoiceCreated":
      reserveIdsThrough(tx, "invoices", Number(event.payload.id));
      return;
  }
}
