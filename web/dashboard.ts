import type { AccountView, ChangeEvent, SnapshotEvent } from "../accounts/schemas";
import { createSseParser, type SseMessage } from "./sse";

type Problem = { title?: string; detail?: string; errors?: Record<string, string[]> };

const TOKEN_KEY = "streamledger.token";
const customersUrl = document.querySelector<HTMLMetaElement>('meta[name="customers-url"]')?.content ?? "";
const money = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });
const byId = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

let token = sessionStorage.getItem(TOKEN_KEY);
let refreshToken = sessionStorage.getItem(`${TOKEN_KEY}.refresh`);
let renewing: Promise<boolean> | undefined;
let username = sessionStorage.getItem(`${TOKEN_KEY}.user`) ?? "";
let accounts = new Map<number, AccountView>();
let following: AbortController | undefined;

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
function describeProblem(problem: Problem, status: number): string {
  const fields = Object.entries(problem.errors ?? {}).map(
    ([field, messages]) => `${FIELD_LABELS[field] ?? field} ${messages.join(", ")}.`,
  );
  if (fields.length > 0) return fields.join(" ");
  return problem.detail ? `${capitalize(problem.detail)}.` : `The request failed (HTTP ${status}).`;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

type Tokens = { token: string; refresh_token: string };

function keepTokens(tokens: Tokens) {
  token = tokens.token;
  refreshToken = tokens.refresh_token;
  sessionStorage.setItem(TOKEN_KEY, tokens.token);
  sessionStorage.setItem(`${TOKEN_KEY}.refresh`, tokens.refresh_token);
}

/** Trades the refresh token for a new pair (once, however many requests found the token expired). */
function renew(): Promise<boolean> {
  const spent = refreshToken;
  renewing ??= (async () => {
    if (!spent) return false;
    try {
      const response = await fetch("/auth/refresh", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ refresh_token: spent }),
      });
      if (!response.ok) return false;
      keepTokens((await response.json()) as Tokens);
      return true;
    } catch {
      return false;
    } finally {
      renewing = undefined;
    }
  })();
  return renewing;
}

/** A request with the access token; an expired one is renewed once and the request sent again. */
async function call(
  url: string,
  init: RequestInit = {},
  retried = false,
): Promise<{ ok: boolean; status: number; body: unknown }> {
  const headers = new Headers(init.headers);
  if (token) headers.set("authorization", `Bearer ${token}`);
  if (init.body) headers.set("content-type", "application/json");
  let response: Response;
  try {
    response = await fetch(url, { ...init, headers });
  } catch {
    return { ok: false, status: 0, body: { detail: "the service cannot be reached; try again in a moment" } };
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  if (response.status === 401 && token && !url.startsWith("/auth/")) {
    if (!retried && (await renew())) return call(url, init, true);
    logOut("Your session has ended; log in again.");
  }
  return { ok: response.ok, status: response.status, body };
}

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
  keepTokens(tokens);
  username = user;
  sessionStorage.setItem(`${TOKEN_KEY}.user`, user);
  render();
  follow();
}

function logOut(message?: string) {
  following?.abort();
  following = undefined;
  // The session ends on the server too, so the refresh token cannot be used again.
  if (refreshToken) {
    void fetch("/auth/logout", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refresh_token: refreshToken }),
    }).catch(() => {});
  }
  token = null;
  refreshToken = null;
  accounts = new Map();
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(`${TOKEN_KEY}.refresh`);
  byId<HTMLOListElement>("feed").replaceChildren();
  render();
  show(byId("login-error"), message ?? null);
}

function render() {
  const loggedIn = token !== null;
  byId("login-view").hidden = loggedIn;
  byId("dashboard-view").hidden = !loggedIn;
  byId("logout").hidden = !loggedIn;
  byId("who").hidden = !loggedIn;
  byId("connection").hidden = !loggedIn;
  byId("who").textContent = username;
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

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function feed(text: string) {
  const item = element("li");
  const time = element("time", "", new Date().toLocaleTimeString());
  item.append(time, document.createTextNode(text));
  const list = byId<HTMLOListElement>("feed");
  list.prepend(item);
  while (list.children.length > 50) list.lastElementChild?.remove();
}

/** What changed between two states of an account, as lines for the feed. */
function describeChange(before: AccountView | undefined, after: AccountView): string[] {
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

/** Follows GET /accounts/events with the token in a header (never in the URL), resuming by Last-Event-ID. */
async function follow() {
  following?.abort();
  const controller = new AbortController();
  following = controller;
  let lastEventId: string | undefined;
  let delay = 500;
  while (!controller.signal.aborted && token) {
    try {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        accept: "text/event-stream",
      };
      if (lastEventId) headers["last-event-id"] = lastEventId;
      const response = await fetch("/accounts/events", { headers, signal: controller.signal });
      if (response.status === 401) {
        if (await renew()) continue;
        return logOut("Your session has ended; log in again.");
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      setConnection(true);
      delay = 500;
      // The stream says `expired` and ends when the access token does: renew it and go on.
      let expired = false;
      const parser = createSseParser();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const message of parser.push(value)) {
          if (message.id) lastEventId = message.id;
          if (message.event === "expired") expired = true;
          else apply(message);
        }
      }
      if (expired) {
        if (await renew()) continue;
        return logOut("Your session has ended; log in again.");
      }
    } catch {
      if (controller.signal.aborted) return;
    }
    setConnection(false);
    await new Promise((resolve) => setTimeout(resolve, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

function toCents(text: string): number | undefined {
  const match = /^\s*\$?(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(text);
  if (!match) return undefined;
  const cents = Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
  return cents > 0 ? cents : undefined;
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
  const reply = await call(request.url, {
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
  const reply = await call("/auth/login", {
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
if (token) follow();
