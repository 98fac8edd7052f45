import { MAX_ID } from "../shared/events/schemas";
import { FIELD, fieldOfEntry } from "../shared/events/wire";
import { type AppliedEntry, applied, type HandlerOutcome, rejected } from "../shared/projection/handler";
import { createProjection, type Projection } from "../shared/projection/projection";
import type { Db } from "../shared/sqlite/db";
import { createIdReservation, forgetAccount, rememberAccount } from "./store";

export const CUSTOMERS_PROJECTION = "customers";

/**
 * customers' view of the stream: the accounts (from AccountCreated), and the ids other producers have
 * used for customers and invoices, which it must not hand out again. Its own events (`isOwnEvent`, by
 * EventId) are passed without decoding: the ids in them came from its own counters, nothing to reserve.
 */
export function createAccountsView(deps: {
  db: Db;
  now: () => Date;
  newId: () => string;
  isOwnEvent?: (eventId: string) => boolean;
}): Projection {
  const { isOwnEvent, ...rest } = deps;
  const reserve = createIdReservation(deps.db);
  return createProjection({
    ...rest,
    skip: isOwnEvent
      ? (entry) => {
          const eventId = fieldOfEntry(entry, FIELD.eventId);
          return eventId !== undefined && isOwnEvent(eventId);
        }
      : undefined,
    name: CUSTOMERS_PROJECTION,
    handles: ["AccountCreated", "AccountDeleted", "CustomerCreated", "InvoiceCreated"],
    handle: (tx, entry) => applyEvent(tx, entry, reserve),
  });
}

type Reserve = ReturnType<typeof createIdReservation>;

function applyEvent(tx: Db, { event }: AppliedEntry, reserve: Reserve): HandlerOutcome {
  switch (event.type) {
    case "AccountCreated": {
      const { id, name, owned_by, created_date } = event.payload;
      const remembered = rememberAccount(tx, {
        id: Number(id),
        name,
        ownedBy: owned_by,
        createdDate: created_date,
      });
      return remembered ? applied() : rejected(`account ${id} is already known with another owner`);
    }
    case "AccountDeleted":
      forgetAccount(tx, Number(event.payload.id), event.payload.deleted_date);
      return applied();
    case "CustomerCreated":
      return reserveOrReject(tx, reserve, "customers", event.payload.id);
    case "InvoiceCreated":
      return reserveOrReject(tx, reserve, "invoices", event.payload.id);
    default:
      return applied();
  }
}

// An id at the cap would leave no id to hand out after it; such an entry is refused, not reserved.
function reserveOrReject(
  tx: Db,
  reserve: Reserve,
  table: "customers" | "invoices",
  id: string,
): HandlerOutcome {
  if (Number(id) >= MAX_ID) return rejected(`${table} id ${id} leaves no ids after it; not reserved`);
  reserve(tx, table, Number(id));
  return applied();
}
