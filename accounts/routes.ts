import { Elysia } from "elysia";
import type { Authenticate } from "../shared/auth";
import { AuthError, NotFoundError, ValidationError } from "../shared/errors";
import { fieldErrors, parseJsonBody, pathId } from "../shared/http";
import { idempotencyKeyOf, replyResponse } from "../shared/idempotency";
import { appendToOutbox, type OutboxRelay } from "../shared/outbox";
import { envelopeOf } from "../shared/wire";
import { issueToken, type SigningKey } from "./auth";
import {
  accountCreated,
  accountDeleted,
  accountView,
  checkAccountDeletable,
  checkAccountReadable,
  customersPage,
} from "./domain";
import { verifyPassword } from "./password";
import { createAccountBody, customersPageQuery, loginBody, type TokenResponse } from "./schemas";
import {
  type AccountsStore,
  findLiveAccount,
  hasLiveCustomers,
  insertAccount,
  markAccountDeleted,
} from "./store";

export type AccountRoutesDeps = {
  store: AccountsStore;
  signingKey: SigningKey;
  authenticate: Authenticate;
  relay: Pick<OutboxRelay, "notify">;
  tokenTtlSeconds: number;
  now: () => Date;
  newEventId: () => string;
};

export function authRoutes({ store, signingKey, tokenTtlSeconds, now }: AccountRoutesDeps) {
  return new Elysia()
    .post("/auth/login", async ({ body, headers }): Promise<TokenResponse> => {
      const { username, password } = parseJsonBody(loginBody, body, headers["content-type"]);
      const user = store.findUser(username);
      if (!(await verifyPassword(password, user?.passwordHash))) {
        throw new AuthError(401, "wrong username or password", false);
      }
      const token = await issueToken(signingKey, username, now(), tokenTtlSeconds);
      return { token, token_type: "Bearer", expires_in: tokenTtlSeconds };
    })
    .get("/.well-known/jwks.json", ({ set }) => {
      set.headers["cache-control"] = "public, max-age=300";
      return { keys: [signingKey.publicJwk] };
    });
}

export function accountRoutes({ store, authenticate, relay, now, newEventId }: AccountRoutesDeps) {
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
        return customersPage(store.customersPage(account.id, limit + 1, after), limit);
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
          appendToOutbox(
            tx,
            envelopeOf(accountDeleted(deleted, deletedAt.toISOString()), newEventId(), deletedAt),
          );
          return { status: 204, body: { id: String(account.id) } };
        });
        relay.notify();
        const replayed: Record<string, string> = reply.replayed ? { "idempotent-replayed": "true" } : {};
        return new Response(null, { status: 204, headers: replayed });
      })
      .post("/accounts", async ({ body, headers }) => {
        const caller = await authenticate(headers.authorization);
        const input = parseJsonBody(createAccountBody, body, headers["content-type"]);
        const key = idempotencyKeyOf(headers["idempotency-key"], caller.username, "POST /accounts", input);
        const createdAt = now();
        const reply = store.commit(key, createdAt, (tx) => {
          const account = insertAccount(tx, {
            name: input.name,
            description: input.description,
            ownedBy: caller.username,
            createdDate: createdAt.toISOString(),
          });
          appendToOutbox(tx, envelopeOf(accountCreated(account), newEventId(), createdAt));
          return { status: 201, body: accountView(account, []) };
        });
        relay.notify();
        return replyResponse(reply);
      })
  );
}
