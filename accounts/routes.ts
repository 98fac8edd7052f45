import { Elysia } from "elysia";
import type { Authenticate, Caller } from "../shared/http/auth";
import { ConflictError, NotFoundError } from "../shared/http/errors";
import type { InputLimits } from "../shared/http/limits";
import { readPage } from "../shared/http/paging";
import { parseQuery, pathId } from "../shared/http/parse";
import { jsonBody, type WriteRequest, writeRoutes } from "../shared/http/write-route";
import type { OutboxRelay } from "../shared/outbox/relay";
import {
  accountCreated,
  accountDeleted,
  accountView,
  checkAccountDeletable,
  checkAccountReadable,
  customerItem,
} from "./domain";
import type { ChangeHub } from "./live";
import { type AccountSchemas, accountSchemas } from "./schemas";
import type { AccountsStore } from "./store";

export type AccountRoutesDeps = {
  store: AccountsStore;
  authenticate: Authenticate;
  relay: Pick<OutboxRelay, "notify">;
  /** Told after an account is created or deleted, so open event streams show it at once. */
  hub: Pick<ChangeHub, "notify">;
  /** MAX_NAME_LENGTH and MAX_PAGE_SIZE; the defaults when absent. */
  limits?: InputLimits;
  /** MAX_ACCOUNTS_PER_USER: POST /accounts answers 409 beyond it. */
  maxAccountsPerUser?: number;
  now: () => Date;
  newEventId: () => string;
};

type Deps = AccountRoutesDeps & { schemas: AccountSchemas };
type Headers = WriteRequest["headers"];

export function accountRoutes(routeDeps: AccountRoutesDeps) {
  const deps: Deps = { ...routeDeps, schemas: accountSchemas(routeDeps.limits) };
  const writes = accountWrites(deps);
  const reads = accountReads(deps);
  return (
    new Elysia()
      .get("/accounts", ({ headers }) => reads.listAccounts(headers))
      .get("/accounts/:id", ({ params, headers }) => reads.showAccount(params.id, headers))
      .get("/accounts/:id/customers", ({ params, query, headers }) =>
        reads.listCustomers(params.id, query, headers),
      )
      // 204: nothing is left to show, the account answers 404 from now on.
      .delete("/accounts/:id", ({ params, headers }) => writes.deleteAccount({ id: params.id, headers }))
      .post("/accounts", ({ body, headers }) => writes.createAccount({ body, headers }))
  );
}

/** The caller's own live account named by a path id: 404 when there is none, 403 when another user's. */
function ownAccount(store: AccountsStore, rawId: string, caller: Caller) {
  const id = pathId(rawId);
  return checkAccountReadable(id === undefined ? undefined : store.findAccount(id), rawId, caller);
}

/**
 * The writes, through the one write path; each keeps the idempotency route string and the request it
 * hashes as they were first stored.
 */
function accountWrites({ store, authenticate, relay, hub, now, newEventId, schemas, ...deps }: Deps) {
  const maxAccountsPerUser = deps.maxAccountsPerUser ?? 100;
  const notify = () => {
    relay.notify();
    hub.notify();
  };
  const writeRoute = writeRoutes({ authenticate, store, notify, now, newEventId });
  return {
    // A path naming no account is a 404 before the key is read; one naming an account is checked inside
    // the transaction, so a replayed key answers as the first time, before any check.
    deleteAccount: writeRoute(accountPath, {
      idempotency: ({ id }) => ({ route: "DELETE /accounts/:id", request: { id } }),
      write({ id, rawId }, { caller, at, append }) {
        const account = checkAccountReadable(store.findAccount(id), rawId, caller);
        checkAccountDeletable(account, store.hasLiveCustomers(account.id));
        const deleted = store.markAccountDeleted(account.id, at.toISOString());
        append(accountDeleted(deleted, at.toISOString()));
        return { status: 204, body: { id: String(account.id) } };
      },
    }),
    createAccount: writeRoute(jsonBody(schemas.createAccountBody), {
      idempotency: (input) => ({ route: "POST /accounts", request: input }),
      write(input, { caller, at, append }) {
        if (store.countLiveAccountsOf(caller.username) >= maxAccountsPerUser) {
          throw new ConflictError(
            `you already own ${maxAccountsPerUser} accounts, the most allowed (MAX_ACCOUNTS_PER_USER); delete one first`,
          );
        }
        const account = store.insertAccount({
          name: input.name,
          description: input.description,
          ownedBy: caller.username,
          createdDate: at.toISOString(),
        });
        append(accountCreated(account));
        return { status: 201, body: accountView(account, []) };
      },
    }),
  };
}

function accountPath(request: WriteRequest & { id: string }) {
  const id = pathId(request.id);
  if (id === undefined) throw new NotFoundError(`no account with id "${request.id}"`);
  return { id, rawId: request.id };
}

function accountReads({ store, authenticate, schemas }: Deps) {
  return {
    /** GET /accounts: the caller's accounts with their customers. */
    async listAccounts(headers: Headers) {
      const caller = await authenticate(headers.authorization);
      const owned = store.accountsOwnedBy(caller.username);
      const customers = store.customersOf(owned.map((account) => account.id));
      return owned.map((account) => accountView(account, customers));
    },

    /** GET /accounts/:id: one of the caller's accounts. */
    async showAccount(rawId: string, headers: Headers) {
      const caller = await authenticate(headers.authorization);
      const account = ownAccount(store, rawId, caller);
      return accountView(account, store.customersOf([account.id]));
    },

    /** GET /accounts/:id/customers: a page of the account's customers. */
    async listCustomers(rawId: string, query: Record<string, string | undefined>, headers: Headers) {
      const caller = await authenticate(headers.authorization);
      const { limit, after } = parseQuery(schemas.customersPageQuery, query);
      const account = ownAccount(store, rawId, caller);
      const rows = (count: number) => store.customersPage(account.id, count, after);
      return readPage(limit, rows, (row) => row.id, customerItem);
    },
  };
}
