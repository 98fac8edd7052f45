import { afterEach, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { createAccountsView } from "../../customers/accounts-view";
import { insertCustomer } from "../../customers/store";
import type { RawEntry } from "../../shared/events/wire";
import { openDatabase } from "../../shared/sqlite/db";
import { tempDir } from "../support/resources";

const MIGRATIONS = join(import.meta.dir, "..", "..", "migrations", "customers");
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function fresh(isOwnEvent?: (eventId: string) => boolean) {
  const dir = tempDir("streamledger-customers-view-");
  const database = openDatabase(join(dir.path, "customers.sqlite"), MIGRATIONS);
  cleanups.push(dir.remove, database.close);
  const projection = createAccountsView({
    db: database.db,
    now: () => new Date(),
    newId: () => crypto.randomUUID(),
    isOwnEvent,
  });
  return { database, projection };
}

const created_date = "2026-11-24T00:00:00Z";
const entry = (id: string, type: string, payload: Record<string, unknown>): RawEntry => ({
  id,
  fields: ["EventTypeName", type, "Payload", JSON.stringify(payload)],
});
const account = entry("1-0", "AccountCreated", {
  id: "1",
  name: "one",
  description: "",
  owned_by: "user1",
  created_date,
});
const customerWithId = (streamId: string, id: string) =>
  entry(streamId, "CustomerCreated", { id, account_id: "1", name: "Foreign", created_date });

describe("customers' view of the stream", () => {
  test("ids another producer used are never handed out again", () => {
    const { database, projection } = fresh();
    projection.applyBatch([account, customerWithId("2-0", "500")]);
    const next = insertCustomer(database.db, { accountId: 1, name: "Ours", createdDate: created_date });
    expect(next.id).toBe(501);
  });

  test("its own events (by EventId) are passed undecoded; another producer's are still reserved", () => {
    const { database, projection } = fresh((eventId) => eventId === "ours");
    const withEventId = (raw: RawEntry, eventId: string): RawEntry => ({
      ...raw,
      fields: [...raw.fields, "EventId", eventId],
    });

    const result = projection.applyBatch([
      account,
      withEventId(customerWithId("2-0", "500"), "ours"),
      withEventId(customerWithId("3-0", "40"), "theirs"),
    ]);

    expect(result).toMatchObject({ position: "3-0", applied: 2, duplicates: 0, deadLettered: 0 });
    expect(result.appliedEventIds).toEqual(["theirs"]);
    const next = insertCustomer(database.db, { accountId: 1, name: "Ours", createdDate: created_date });
    expect(next.id).toBe(41);
  });

  test("an id at the cap is dead-lettered, not reserved, so ids can still be handed out", () => {
    const { database, projection } = fresh();
    const result = projection.applyBatch([account, customerWithId("2-0", "999999999999999")]);
    expect(result.deadLettered).toBe(1);
    const next = insertCustomer(database.db, { accountId: 1, name: "Ours", createdDate: created_date });
    expect(next.id).toBe(1);
  });
});
