import { Elysia } from "elysia";
import { clientAddressOf } from "../../shared/http/client-address";
import { AuthError } from "../../shared/http/errors";
import { parseJsonBody } from "../../shared/http/parse";
import type { Logger } from "../../shared/process/log";
import { loginBody, refreshTokenBody, type TokenResponse } from "../schemas";
import type { AccountsStore } from "../store";
import type { KeyRing } from "./keys";
import { addressKey, type LoginGuard } from "./login-guard";
import { type PasswordChecks, passwordChecks } from "./password";
import type { Session, SessionStore } from "./sessions";
import { issueToken } from "./tokens";

export type AuthRoutesDeps = {
  store: Pick<AccountsStore, "findUser">;
  sessions: SessionStore;
  keys: KeyRing;
  loginGuard: LoginGuard;
  tokenTtlSeconds: number;
  /** JWKS_CACHE_SECONDS: how long clients may cache the public keys (bounds a forced rotation's reach). */
  jwksCacheSeconds?: number;
  /** CLIENT_IP_HEADER: the header a trusted proxy puts the client's address in. */
  clientIpHeader?: string;
  /** Where login passwords are checked, fairly between client addresses: the process's own unless given. */
  passwords?: Pick<PasswordChecks, "verify">;
  logger: Logger;
  now: () => Date;
};

/** Login, refresh, logout and the public signing keys. */
export function authRoutes({
  store,
  sessions,
  keys,
  loginGuard,
  tokenTtlSeconds,
  jwksCacheSeconds = 60,
  clientIpHeader,
  passwords = passwordChecks,
  logger,
  now,
}: AuthRoutesDeps) {
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
        const client = clientAddressOf(request, server, clientIpHeader);
        loginGuard.admit(username, client, now().getTime());
        const user = store.findUser(username);
        if (!(await passwords.verify(password, user?.passwordHash, addressKey(client)))) {
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
