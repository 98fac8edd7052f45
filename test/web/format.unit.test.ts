import { describe, expect, test } from "bun:test";
import type { AccountView } from "../../accounts/schemas";
import { describeChange, describeProblem, toCents } from "../../web/format";

const account = (customers: [string, string, number][]): AccountView => ({
  account: {
    id: 1,
    name: "one",
    description: "",
    owned_by: "user1",
    created_date: "2026-11-24T10:00:00.000Z",
  },
  customers: customers.map(([customer_id, name, total_revenue_cents]) => ({
    customer_id,
    name,
    total_revenue_cents,
  })),
  total_revenue_cents: customers.reduce((sum, [, , cents]) => sum + cents, 0),
});

describe("the dashboard's wording", () => {
  test("a problem names each field by its label, else gives the detail", () => {
    expect(
      describeProblem(
        { errors: { name: ["must not be empty"], purchase_price_cents: ["must be positive"] } },
        422,
      ),
    ).toBe("Name must not be empty. Amount must be positive.");
    expect(describeProblem({ detail: "account 9 does not exist" }, 422)).toBe("Account 9 does not exist.");
    expect(describeProblem({}, 502)).toBe("The request failed (HTTP 502).");
  });

  test("a change says which customer came, went, was renamed or earned what, and the new total", () => {
    const before = account([
      ["1", "Ada", 1000],
      ["2", "Bob", 0],
      ["3", "Cy", 0],
    ]);
    const after = account([
      ["1", "Ada", 1250],
      ["2", "Robert", 0],
      ["4", "Dee", 0],
    ]);
    expect(describeChange(before, after)).toEqual([
      "Ada: +$2.50.",
      "Bob is now called Robert.",
      "New customer Dee in one.",
      "Customer Cy removed from one.",
      "one revenue now $12.50.",
    ]);
    expect(describeChange(undefined, after)).toEqual(["Account one appeared."]);
    expect(describeChange(after, after)).toEqual([]);
  });

  test.each([
    ["12.50", 1250],
    ["$3", 300],
    [" 0.07 ", 7],
    ["100.1", 10_010],
  ])("reads the amount %p as %p cents", (text, cents) => {
    expect(toCents(text)).toBe(cents);
  });

  test.each(["", "0", "0.00", "-5", "1.234", "twelve", "1,000", "12.5.1"])(
    "refuses the amount %p",
    (text) => {
      expect(toCents(text)).toBeUndefined();
    },
  );
});
