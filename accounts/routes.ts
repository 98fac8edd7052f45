import { Elysia } from "elysia";
import { envelopeOf } from "../shared/events/wire";
import type { Authenticate } from "../shared/http/auth";
import { ConflictError, NotFoundError, ValidationError } from "../shared/http/errors";
import { idempotencyKeyOf, replyResponse } from "../shared/http/idempotency";
import type { InputLimits } from "../shared/http/limits";
import { readPage } from "../shared/http/paging";
import { fieldErrors, parseJsonBody, pathId } from "../shared/http/parse";
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
import { accountSchemas } from "./schemas";
import {
  type AccountsStore,
  countLiveAccountsOf,
  findLiveAccount,
  hasLiveCustomers,
  insertAccount,
  markAccountDeleted,
} from "./store";

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

export function accountRoutes({
  store,
  authenticate,
  relay,
  hub,
  now,
  newEventId,
  limits,
  maxAccountsPerUser = 100,
}: AccountRoutesDeps) {
  const { createAccountBody, customersPageQuery } = accountSchemas(limits);
  return (
    new Elysia()
      .get("/accounts", async ({ headers }) => {
        const caller = await authenticate(headers.authorization);
        const owned = store.accountsOwnedBy(caller.username);
        const customers = store.customersOf(owned.map((account) => account.id));
        return owned.map((account) => accountView(account, customers));
      })
      .get("/accounts/:id", async ({ params, headers }) => {
        const caller = await authenticate(headers.authorization);
        const id = pathId(params.id);
        const account = checkAccountReadable(
          id === undefined ? undefined : store.findAccount(id),
          params.id,
          caller,
        );
        return accountView(account, store.customersOf([account.id]));
      })
      .get("/accounts/:id/customers", async ({ params, query, headers }) => {
        const caller = await authenticate(headers.authorization);
        const parsed = customersPageQuery.safeParse(query);
        if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error, query));
        const { limit, after } = parsed.data;
        const id = pathId(params.id);
        const account = checkAccountReadable(
          id === undefined ? undefined : store.findAccount(id),
          params.id,
          caller,
        );
        return readPage(
          limit,
          (count) => store.customersPage(account.id, count, after),
          (row) => row.id,
          customerItem,
        );
      })
      // 204: nothing is left to show, the account answers 404 from now on.
      .delete("/accounts/:id", async ({ params, headers }) => {
        const caller = await authenticate(headers.authorization);
        const id = pathId(params.id);
        if (id === undefined) throw new NotFoundError(`no account with id "${params.id}"`);
        const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "DELETE /accounts/:id", {
          id,
        });
        const deletedAt = now();
        // Checked inside the transaction: a replayed key answers as the first time, before any check.
        const reply = store.commit(key, deletedAt, (tx) => {
          const account = checkAccountReadable(findLiveAccount(tx, id), params.id, caller);
          checkAccountDeletable(account, hasLiveCustomers(tx, account.id));
          const deleted = markAccountDeleted(tx, account.id, deletedAt.toISOString());
          store.appendEvent(
            envelopeOf(accountDeleted(deleted, deletedAt.toISOString()), newEventId(), deletedAt),
          );
          return { status: 204, body: { id: String(account.id) } };
        });
        relay.notify();
        hub.notify();
        const replayed: Record<string, string> = reply.replayed ? { "idempotent-replayed": "true" } : {};
        return new Response(null, { status: 204, headers: replayed });
      })
      .post("/accounts", async ({ body, headers }) => {
        const caller = await authenticate(headers.authorization);
        const input = parseJsonBody(createAccountBody, body, headers["content-type"]);
        const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "POST /accounts", input);
        const createdAt = now();
        const reply = store.commit(key, createdAt, (tx) => {
          if (countLiveAccountsOf(tx, caller.username) >= maxAccountsPerUser) {
            throw new ConflictError(
              `you already own ${maxAccountsPerUser} accounts, the most allowed (MAX_ACCOUNTS_PER_USER); delete one first`,
            );
          }
          const account = insertAccount(tx, {
            name: input.name,
            description: input.description,
            ownedBy: caller.username,
            createdDate: createdAt.toISOString(),
          });
          store.appendEvent(envelopeOf(accountCreated(account), newEventId(), createdAt));
          return { status: 201, body: accountView(account, []) };
        });
        relay.notify();
        hub.notify();
        return replyResponse(reply);
      })
  );
}
