import { renderAccounts } from "./accounts-view";
import { type Accounts, applyMessage } from "./changes";
import { byId, show } from "./dom";
import { clearFeed, feed } from "./feed";
import { describeProblem, money, type Problem, toCents } from "./format";
import { onSubmit } from "./forms";
import { followEvents } from "./live";
import { createSession, type Tokens } from "./session";

// The dashboard page (web/index.html): log in, follow the accounts live, create customers and invoices.

const customersUrl = document.querySelector<HTMLMetaElement>('meta[name="customers-url"]')?.content ?? "";

const session = createSession(sessionStorage, (message) => logOut(message));
let accounts: Accounts = new Map();
let following: AbortController | undefined;

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
  clearFeed();
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
  if (loggedIn) renderAccounts(accounts);
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
    onMessage: (message) => {
      const applied = applyMessage(accounts, message);
      if (!applied) return;
      for (const line of applied.lines) feed(line);
      accounts = applied.accounts;
      renderAccounts(accounts, applied.changed);
    },
    onConnected: setConnection,
    ended: (message) => logOut(message),
  });
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

onSubmit(session, "customer-form", {
  owner: { select: "customer-account", field: "account_id", missing: "Create an account first." },
  request: (accountId) => {
    const name = byId<HTMLInputElement>("customer-name").value;
    return { url: `${customersUrl}/customers`, body: { name, account_id: accountId } };
  },
  done: (body) => {
    byId<HTMLInputElement>("customer-name").value = "";
    return `Customer ${String(body.name)} created; it appears once accounts has read its event.`;
  },
});

onSubmit(session, "invoice-form", {
  owner: { select: "invoice-customer", field: "customer_id", missing: "Create a customer first." },
  request: (customerId) => {
    const cents = toCents(byId<HTMLInputElement>("invoice-amount").value);
    if (cents === undefined) {
      return {
        error: "Amount must be a positive amount in dollars, like 12.50.",
        fields: ["purchase_price_cents"],
      };
    }
    const purchaseDate = byId<HTMLInputElement>("invoice-date").value;
    return {
      url: `${customersUrl}/invoices`,
      body: { customer_id: customerId, purchase_date: purchaseDate, purchase_price_cents: cents },
    };
  },
  done: (body) => {
    byId<HTMLInputElement>("invoice-amount").value = "";
    return `Invoice for ${money.format(Number(body.purchase_price_cents) / 100)} recorded.`;
  },
});

byId("logout").addEventListener("click", () => logOut());
byId<HTMLInputElement>("invoice-date").value = new Date().toISOString().slice(0, 10);
render();
if (session.token()) follow();
