import { SignJWT } from "jose";
import { type Authenticate, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../shared/http/auth";
import { AuthError } from "../../shared/http/errors";
import type { SigningKey } from "./keys";

/** A signed access token for `username`, valid for `ttlSeconds` from `now`. */
export function issueToken(
  key: SigningKey,
  username: string,
  now: Date,
  ttlSeconds: number,
): Promise<string> {
  const issuedAt = Math.floor(now.getTime() / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: TOKEN_ALGORITHM, kid: key.kid, typ: "JWT" })
    .setSubject(username)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + ttlSeconds)
    .sign(key.privateKey);
}

/** Accepts a valid token only while its user still exists here (a token can outlive its user's row). */
export function onlyKnownUsers(
  authenticate: Authenticate,
  userExists: (username: string) => boolean,
): Authenticate {
  return async (authorization) => {
    const caller = await authenticate(authorization);
    if (!userExists(caller.username)) throw new AuthError(401, "the token names a user that does not exist");
    return caller;
  };
}
