import { describe, expect, test } from "bun:test";
import type { AccountView } from "../../accounts/schemas";
import { type Accounts, applyMessage } from "../../web/changes";

const view = (id: number, name: string, customers: [string, string, number][]): AccountView => ({
  account: { id, name, description: "", owned_by: "user1", created_date: "2026-11-24T10:00:00.000Z" },
  customers: customers.map(([customer_id, customerName, total_revenue_cents]) => ({
    customer_id,
    name: customerName,
    total_revenue_cents,
  })),
  total_revenue_cents: customers.reduce((sum, [, , cents]) => sum + cents, 0),
});

const snapshot = (accounts: AccountView[]) => ({
  event: "snapshot",
  id: "7-0",
  data: JSON.stringify({ position: "7-0", resumed_from: null, accounts }),
});
const change = (accounts: AccountView[], removed: number[] = []) => ({
  event: "change",
  id: "8-0",
  data: JSON.stringify({ position: "8-0", accounts, removed }),
});
const shown = (accounts: AccountView[]): Accounts => new Map(accounts.map((one) => [one.account.id, one]));

describe("what a message of the live event stream changes on the dashboard", () => {
  test("the first snapshot shows its accounts and says it connected, highlighting nothing", () => {
    const accounts = [view(1, "one", [["10", "Ada", 500]]), view(2, "two", [])];

    expect(applyMessage(new Map(), snapshot(accounts))).toEqual({
      accounts: shown(accounts),
      changed: new Set(),
      lines: ["Connected: 2 accounts, as of stream entry 7-0."],
    });
  });

  test("a later snapshot (after a reconnect) replaces the accounts and tells only what differs", () => {
    const before = [view(1, "one", [["10", "Ada", 500]]), view(2, "two", [])];
    const after = [view(1, "one", [["10", "Ada", 800]]), view(2, "two", [])];

    const applied = applyMessage(shown(before), snapshot(after));

    expect(applied?.accounts).toEqual(shown(after));
    expect(applied?.changed).toEqual(new Set([1]));
    expect(applied?.lines).toEqual(["Ada: +$3.00. one revenue now $8.00."]);
  });

  test("a change updates and removes accounts, leaving the accounts it was given as they were", () => {
    const before = shown([view(1, "one", []), view(2, "two", [])]);
    const updated = view(1, "one", [["11", "Grace", 0]]);

    const applied = applyMessage(before, change([updated], [2]));

    expect(applied).toEqual({
      accounts: shown([updated]),
      changed: new Set([1]),
      lines: ["New customer Grace in one.", "Account two deleted."],
    });
    expect([...before.keys()]).toEqual([1, 2]);
  });

  test("a message of another type changes nothing", () => {
    expect(
      applyMessage(shown([view(1, "one", [])]), { event: "expired", id: undefined, data: "" }),
    ).toBeNull();
  });
});
