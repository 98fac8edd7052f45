import type { AccountView } from "../accounts/schemas";

// What the dashboard says: amounts, problems and changes as text (pure, so tested without a browser).

/** An application/problem+json body. */
export type Problem = { title?: string; detail?: string; errors?: Record<string, string[]> };

export const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

const FIELD_LABELS: Record<string, string> = {
  name: "Name",
  account_id: "Account",
  customer_id: "Customer",
  purchase_date: "Date",
  purchase_price_cents: "Amount",
  currency: "Currency",
  username: "Username",
  password: "Password",
  body: "Request",
};

/** A problem+json reply as one readable sentence per field. */
export function describeProblem(problem: Problem, status: number): string {
  const fields = Object.entries(problem.errors ?? {}).map(
    ([field, messages]) => `${FIELD_LABELS[field] ?? field} ${messages.join(", ")}.`,
  );
  if (fields.length > 0) return fields.join(" ");
  return problem.detail ? `${capitalize(problem.detail)}.` : `The request failed (HTTP ${status}).`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What changed between two states of an account, as lines for the feed. */
export function describeChange(before: AccountView | undefined, after: AccountView): string[] {
  const name = after.account.name;
  if (!before) return [`Account ${name} appeared.`];
  const lines: string[] = [];
  const old = new Map(before.customers.map((customer) => [customer.customer_id, customer]));
  for (const customer of after.customers) {
    const was = old.get(customer.customer_id);
    if (!was) lines.push(`New customer ${customer.name} in ${name}.`);
    else if (was.name !== customer.name) lines.push(`${was.name} is now called ${customer.name}.`);
    if (was && was.total_revenue_cents !== customer.total_revenue_cents) {
      const delta = customer.total_revenue_cents - was.total_revenue_cents;
      const sign = delta > 0 ? "+" : "−";
      lines.push(`${customer.name}: ${sign}${money.format(Math.abs(delta) / 100)}.`);
    }
    old.delete(customer.customer_id);
  }
  for (const gone of old.values()) lines.push(`Customer ${gone.name} removed from ${name}.`);
  if (before.total_revenue_cents !== after.total_revenue_cents) {
    lines.push(`${name} revenue now ${money.format(after.total_revenue_cents / 100)}.`);
  }
  return lines;
}

/** Dollars as typed ("12.50", "$3") in cents; undefined unless a positive amount with at most 2 decimals. */
export function toCents(text: string): number | undefined {
  const match = /^\s*\$?(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  return cents > 0 ? cents : undefined;
}
