import type { AccountView } from "../accounts/schemas";
import type { Accounts } from "./changes";
import { byId, element, fillSelect, flash } from "./dom";
import { money, plural } from "./format";

/** The totals, a card per account and the forms' choices; what `changed` names is highlighted. */
export function renderAccounts(accounts: Accounts, changed: Set<number> = new Set()) {
  const list = [...accounts.values()].sort((a, b) => a.account.id - b.account.id);
  const total = list.reduce((sum, view) => sum + view.total_revenue_cents, 0);
  const customers = list.reduce((sum, view) => sum + view.customers.length, 0);
  byId("total-revenue").textContent = money.format(total / 100);
  byId("total-customers").textContent = String(customers);
  byId("total-accounts").textContent = String(list.length);
  if (changed.size > 0) flash(byId("total-revenue"));

  const cards = list.map((view) => accountCard(view, changed.has(view.account.id)));
  const container = byId("accounts");
  if (cards.length === 0) container.replaceChildren(element("p", "muted", "No accounts yet."));
  else container.replaceChildren(...cards);

  fillSelect(
    byId<HTMLSelectElement>("customer-account"),
    list.map((view) => [String(view.account.id), `${view.account.name} (#${view.account.id})`]),
  );
  fillSelect(
    byId<HTMLSelectElement>("invoice-customer"),
    list.flatMap((view) =>
      view.customers.map((customer): [string, string] => [
        customer.customer_id,
        `${customer.name} (${view.account.name})`,
      ]),
    ),
  );
}

function accountCard(view: AccountView, changed: boolean): HTMLElement {
  const card = element("article", "card account");
  card.dataset.accountId = String(view.account.id);
  const header = element("header");
  const title = element("div");
  title.append(element("h3", "", view.account.name));
  title.append(
    element("span", "muted", `#${view.account.id} · ${plural(view.customers.length, "customer")}`),
  );
  const revenue = element("span", "revenue", money.format(view.total_revenue_cents / 100));
  revenue.dataset.testid = "account-revenue";
  header.append(title, revenue);
  card.append(header);
  if (view.customers.length > 0) {
    const table = element("table");
    const head = element("tr");
    head.append(element("th", "", "Customer"), element("th", "num", "Revenue"));
    table.append(head);
    for (const customer of view.customers) {
      const row = element("tr");
      row.append(
        element("td", "", customer.name),
        element("td", "num", money.format(customer.total_revenue_cents / 100)),
      );
      table.append(row);
    }
    card.append(table);
  }
  if (changed) flash(card);
  return card;
}
