import { Elysia } from "elysia";
import { envelopeOf } from "../shared/events/wire";
import type { Authenticate } from "../shared/http/auth";
import { clientAddressOf, fieldErrors, parseJsonBody, pathId } from "../shared/http/conventions";
import { AuthError, ConflictError, NotFoundError, ValidationError } from "../shared/http/errors";
import { idempotencyKeyOf, replyResponse } from "../shared/http/idempotency";
import type { InputLimits } from "../shared/http/limits";
import { appendToOutbox, type OutboxRelay } from "../shared/outbox/relay";
import type { Logger } from "../shared/process/log";
import type { KeyRing } from "./auth/keys";
import type { LoginGuard } from "./auth/login-guard";
import { verifyPassword } from "./auth/password";
import type { Session, SessionStore } from "./auth/sessions";
import { issueToken } from "./auth/tokens";
import {
  accountCreated,
  accountDeleted,
  accountView,
  checkAccountDeletable,
  checkAccountReadable,
  customersPage,
} from "./domain";
import type { ChangeHub } from "./live";
import { accountSchemas, loginBody, refreshTokenBody, type TokenResponse } from "./schemas";
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
  sessions: SessionStore;
  keys: KeyRing;
  loginGuard: LoginGuard;
  authenticate: Authenticate;
  relay: Pick<OutboxRelay, "notify">;
  /** Told after an account is created or deleted, so open event streams show it at once. */
  hub: Pick<ChangeHub, "notify">;
  tokenTtlSeconds: number;
  /** JWKS_CACHE_SECONDS: how long clients may cache the public keys (bounds a forced rotation's reach). */
  jwksCacheSeconds?: number;
  logger: Logger;
  /** MAX_NAME_LENGTH and MAX_PAGE_SIZE; the defaults when absent. */
  limits?: InputLimits;
  /** MAX_ACCOUNTS_PER_USER: POST /accounts answers 409 beyond it. */
  maxAccountsPerUser?: number;
  /** CLIENT_IP_HEADER: the header a trusted proxy puts the client's address in. */
  clientIpHeader?: string;
  now: () => Date;
  newEventId: () => string;
};

export function authRoutes({
  store,
  sessions,
  keys,
  loginGuard,
  tokenTtlSeconds,
  jwksCacheSeconds = 60,
  clientIpHeader,
  logger,
  now,
}: AccountRoutesDeps) {
  const tokensFor = async (username: string, session: Session): Promise<TokenResponse> => {
    const at = now();
    return {
      token: await issueToken(await keys.current(), username, at, tokenTtlSeconds),
      token_type: "Bearer",
      expires_in: tokenTtlSeconds,
      refresh_token: session.refreshToken,
      refresh_expires_in: Math.max(0, Math.round((Date.parse(session.expiresAt) - at.getTime()) / 1000)),
    };
  };
  return (
    new Elysia()
      .post("/auth/login", async ({ body, headers, request, server }): Promise<TokenResponse> => {
        const { username, password } = parseJsonBody(loginBody, body, headers["content-type"]);
        const at = now().getTime();
        loginGuard.admit(username, clientAddressOf(request, server, clientIpHeader), at);
        const user = store.findUser(username);
        if (!(await verifyPassword(password, user?.passwordHash))) {
          throw new AuthError(401, "wrong username or password", false);
        }
        loginGuard.succeeded(username);
        return tokensFor(username, sessions.start(username, now()));
      })
      // One use per refresh token: the answer carries its successor.
      .post("/auth/refresh", async ({ body, headers, request, server }): Promise<TokenResponse> => {
        const input = parseJsonBody(refreshTokenBody, body, headers["content-type"]);
        loginGuard.admitRefresh(clientAddressOf(request, server, clientIpHeader), now().getTime());
        const outcome = sessions.refresh(input.refresh_token, now());
        if (outcome.kind === "reused") {
          logger.warn("a used refresh token came back: its login is revoked (stolen or replayed)", {
            user: outcome.username,
          });
        }
        if (outcome.kind !== "refreshed" || !store.findUser(outcome.username)) {
          throw new AuthError(401, "the refresh token is not valid; log in again", false);
        }
        return tokensFor(outcome.username, outcome.session);
      })
      // Access tokens already issued stay valid until they expire (TOKEN_TTL_SECONDS, 15 min by default).
      .post("/auth/logout", ({ body, headers }) => {
        const input = parseJsonBody(refreshTokenBody, body, headers["content-type"]);
        sessions.end(input.refresh_token, now());
        return new Response(null, { status: 204 });
      })
      .get("/.well-known/jwks.json", async ({ set }) => {
        set.headers["cache-control"] = `public, max-age=${jwksCacheSeconds}`;
        return { keys: await keys.published() };
      })
  );
}

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
          appendToOutbox(tx, envelopeOf(accountCreated(account), newEventId(), createdAt));
          return { status: 201, body: accountView(account, []) };
        });
        relay.notify();
        hub.notify();
        return replyResponse(reply);
      })
  );
}
