import type { Db } from "../shared/db";
import { type AppliedEntry, createProjection, type Projection, RejectedEvent } from "../shared/projection";
import { rememberAccount } from "./store";

export const CUSTOMERS_PROJECTION = "customers";

/** customers' view of the accounts, fed by AccountCreated events from the stream. */
export function createAccountsView(db: Db, now: () => Date): Projection {
  return createProjection({
    db,
    name: CUSTOMERS_PROJECTION,
    handles: ["AccountCreated"],
    handle: applyAccountEvent,
    now,
  });
}

function applyAccountEvent(tx: Db, entry: AppliedEntry): void {
  if (entry.event.type !== "AccountCreated") return;
  const { id, name, owned_by, created_date } = entry.event.payload;
  const remembered = rememberAccount(tx, {
    id: Number(id),
    name,
    ownedBy: owned_by,
    createdDate: created_date,
  });
  if (!remembered) throw new RejectedEvent(`account ${id} is already known with another owner`);
}
