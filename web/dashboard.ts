import type { AccountView, ChangeEvent, SnapshotEvent } from "../accounts/schemas";
import { describeChange, describeProblem, money, type Problem, plural, toCents } from "./format";
import { followEvents } from "./live";
import { createSession, type Tokens } from "./session";
import type { SseMessage } from "./sse";

const customersUrl = document.querySelector<HTMLMetaElement>('meta[name="customers-url"]')?.content ?? "";
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const session = createSession(sessionStorage, (message) => logOut(message));
let accounts = new Map<number, AccountView>();
let following: AbortController | undefined;

function show(element: HTMLElement, text: string | null) {
  element.hidden = text === null;
  element.textContent = text ?? "";
}

function setMessages(form: HTMLFormElement, error: string | null, ok: string | null) {
  show(form.querySelector<HTMLElement>(".error") as HTMLElement, error);
  const okLine = form.querySelector<HTMLElement>(".ok");
  if (okLine) show(okLine, ok);
}

function logIn(tokens: Tokens, user: string) {
  session.start(tokens, user);
  render();
  follow();
}

function logOut(message?: string) {
  following?.abort();
  following = undefined;
  session.clear();
  accounts = new Map();
  byId<HTMLOListElement>("feed").replaceChildren();
  render();
  show(byId("login-error"), message ?? null);
}

function render() {
  const loggedIn = session.token() !== null;
  byId("login-view").hidden = loggedIn;
  byId("dashboard-view").hidden = !loggedIn;
  byId("logout").hidden = !loggedIn;
  byId("who").hidden = !loggedIn;
  byId("connection").hidden = !loggedIn;
  byId("who").textContent = session.username();
  if (loggedIn) renderAccounts();
}

function renderAccounts(changed: Set<number> = new Set()) {
  const list = [...accounts.values()].sort((a, b) => a.account.id - b.account.id);
  const total = list.reduce((sum, view) => sum + view.total_revenue_cents, 0);
  const customers = list.reduce((sum, view) => sum + view.customers.length, 0);
  byId("total-revenue").textContent = money.format(total / 100);
  byId("total-customers").textContent = String(customers);
  byId("total-accounts").textContent = String(list.length);
  if (changed.size > 0) flash(byId("total-revenue"));

  const cards = list.map((view) => {
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
    if (changed.has(view.account.id)) flash(card);
    return card;
  });
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

function fillSelect(select: HTMLSelectElement, options: [string, string][]) {
  const chosen = select.value;
  select.replaceChildren(
    ...options.map(([value, label]) => {
      const option = element("option", "", label) as HTMLOptionElement;
      option.value = value;
      return option;
    }),
  );
  if (options.some(([value]) => value === chosen)) select.value = chosen;
}

function element(tag: string, className = "", text?: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function flash(node: HTMLElement) {
  node.classList.remove("flash");
  void node.offsetWidth;
  node.classList.add("flash");
}

function feed(text: string) {
  const item = element("li");
  const time = element("time", "", new Date().toLocaleTimeString());
  item.append(time, document.createTextNode(text));
  const list = byId<HTMLOListElement>("feed");
  list.prepend(item);
  while (list.children.length > 50) list.lastElementChild?.remove();
}

function apply(message: SseMessage) {
  if (message.event === "snapshot") {
    const snapshot = JSON.parse(message.data) as SnapshotEvent;
    const first = accounts.size === 0;
    const next = new Map(snapshot.accounts.map((view) => [view.account.id, view]));
    const changed = new Set<number>();
    for (const view of snapshot.accounts) {
      const lines = first ? [] : describeChange(accounts.get(view.account.id), view);
      if (lines.length > 0) changed.add(view.account.id);
      if (lines.length > 0) feed(lines.join(" "));
    }
    accounts = next;
    if (first)
      feed(
        `Connected: ${plural(snapshot.accounts.length, "account")}, as of stream entry ${snapshot.position}.`,
      );
    renderAccounts(changed);
  } else if (message.event === "change") {
    const change = JSON.parse(message.data) as ChangeEvent;
    const changed = new Set<number>();
    for (const view of change.accounts) {
      const lines = describeChange(accounts.get(view.account.id), view);
      if (lines.length > 0) feed(lines.join(" "));
      accounts.set(view.account.id, view);
      changed.add(view.account.id);
    }
    for (const id of change.removed) {
      const gone = accounts.get(id);
      accounts.delete(id);
      if (gone) feed(`Account ${gone.account.name} deleted.`);
    }
    renderAccounts(changed);
  }
}

function setConnection(live: boolean) {
  const status = byId("connection");
  status.classList.toggle("live", live);
  status.textContent = live ? "live" : "reconnecting…";
}

function follow() {
  following?.abort();
  following = new AbortController();
  void followEvents({
    session,
    signal: following.signal,
    onMessage: apply,
    onConnected: setConnection,
    ended: (message) => logOut(message),
  });
}

function markInvalid(form: HTMLFormElement, fields: string[]) {
  for (const input of form.querySelectorAll<HTMLInputElement>("input, select")) {
    const name = input.name === "amount" ? "purchase_price_cents" : input.name;
    input.setAttribute("aria-invalid", String(fields.includes(name)));
  }
}

async function submit(
  form: HTMLFormElement,
  send: () => { url: string; body: unknown } | { error: string; fields: string[] },
  done: (body: Record<string, unknown>) => string,
) {
  const button = form.querySelector("button") as HTMLButtonElement;
  const request = send();
  if ("error" in request) {
    markInvalid(form, request.fields);
    return setMessages(form, request.error, null);
  }
  button.disabled = true;
  setMessages(form, null, null);
  // A fresh key per submission: a retried request is answered once, never doubled.
  const reply = await session.call(request.url, {
    method: "POST",
    body: JSON.stringify(request.body),
    headers: { "idempotency-key": crypto.randomUUID() },
  });
  button.disabled = false;
  if (reply.ok) {
    markInvalid(form, []);
    setMessages(form, null, done(reply.body as Record<string, unknown>));
  } else {
    const problem = (typeof reply.body === "object" && reply.body !== null ? reply.body : {}) as Problem;
    markInvalid(form, Object.keys(problem.errors ?? {}));
    setMessages(form, describeProblem(problem, reply.status), null);
  }
}

byId<HTMLFormElement>("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  const data = new FormData(form);
  const user = String(data.get("username") ?? "").trim();
  const password = String(data.get("password") ?? "");
  if (!user || !password) return show(byId("login-error"), "Enter your username and password.");
  const reply = await session.call("/auth/login", {
    method: "POST",
    body: JSON.stringify({ username: user, password }),
  });
  if (reply.ok) {
    show(byId("login-error"), null);
    form.reset();
    logIn(reply.body as Tokens, user);
  } else if (reply.status === 401) {
    show(byId("login-error"), "Wrong username or password.");
  } else {
    show(byId("login-error"), describeProblem(reply.body as Problem, reply.status));
  }
});

byId<HTMLFormElement>("customer-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void submit(
    form,
    () => {
      const accountId = byId<HTMLSelectElement>("customer-account").value;
      if (!accountId) return { error: "Create an account first.", fields: ["account_id"] };
      const name = byId<HTMLInputElement>("customer-name").value;
      return { url: `${customersUrl}/customers`, body: { name, account_id: accountId } };
    },
    (body) => {
      byId<HTMLInputElement>("customer-name").value = "";
      return `Customer ${String(body.name)} created; it appears once accounts has read its event.`;
    },
  );
});

byId<HTMLFormElement>("invoice-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const form = event.currentTarget as HTMLFormElement;
  void submit(
    form,
    () => {
      const customerId = byId<HTMLSelectElement>("invoice-customer").value;
      if (!customerId) return { error: "Create a customer first.", fields: ["customer_id"] };
      const amount = byId<HTMLInputElement>("invoice-amount").value;
      const cents = toCents(amount);
      if (cents === undefined) {
        return {
          error: "Amount must be a positive amount in dollars, like 12.50.",
          fields: ["purchase_price_cents"],
        };
      }
      return {
        url: `${customersUrl}/invoices`,
        body: {
          customer_id: customerId,
          purchase_date: byId<HTMLInputElement>("invoice-date").value,
          purchase_price_cents: cents,
        },
      };
    },
    (body) => {
      byId<HTMLInputElement>("invoice-amount").value = "";
      return `Invoice for ${money.format(Number(body.purchase_price_cents) / 100)} recorded.`;
    },
  );
});

byId("logout").addEventListener("click", () => logOut());
byId<HTMLInputElement>("invoice-date").value = new Date().toISOString().slice(0, 10);
render();
if (session.token()) follow();
