import { sql } from "drizzle-orm";
import type { Db } from "../../shared/sqlite/db";
import type { Customer } from "../tables";

export type CustomerCache = ReturnType<typeof createCustomerCache>;

/** Customer rows kept in memory between batches at most; past it the cache starts over. */
const MAX_CACHED_CUSTOMERS = 20_000;

/**
 * Customer rows as an all-or-nothing attempt sees them (the totals it added included), kept from batch to
 * batch while no other connection writes the database. The rows are changed in place as the attempt goes.
 */
export function createCustomerCache(db: Db) {
  const rows = new Map<number, Customer>();
  let seenDataVersion: string | undefined;
  return {
    /** At an attempt's start: the rows are kept only for an attempt that defers its writes. */
    startAttempt(deferring: boolean): void {
      // Another connection's commit (a rebuild swapping the read model in, say) makes the rows stale.
      const dataVersion = JSON.stringify(db.all(sql`PRAGMA data_version`));
      const changedElsewhere = dataVersion !== seenDataVersion;
      seenDataVersion = dataVersion;
      if (!deferring || changedElsewhere || rows.size > MAX_CACHED_CUSTOMERS) rows.clear();
    },
    get: (customerId: number): Customer | undefined => rows.get(customerId),
    remember(customer: Customer): void {
      rows.set(customer.id, customer);
    },
    /** The attempt rolled back: what the rows learnt in it may not exist. */
    clear(): void {
      rows.clear();
    },
  };
}
