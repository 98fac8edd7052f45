import { createRemoteJWKSet, errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { AuthError, UnavailableError } from "./errors";

export const TOKEN_ISSUER = "streamledger-accounts";
export const TOKEN_AUDIENCE = "streamledger";
export const TOKEN_ALGORITHM = "ES256";

/** No access token lives longer, whatever its `exp` says (TOKEN_TTL_SECONDS is capped at this too). */
export const MAX_TOKEN_AGE_SECONDS = 86_400;

/** The authenticated user a request acts for. */
export type Caller = { username: string };

/** Turns an Authorization header into the caller, or throws 401 (503 if the signing keys cannot be fetched). */
export type Authenticate = (authorization: string | undefined) => Promise<Caller>;

/**
 * The accounts service's published keys, cached, re-fetched when a token names a key not in the cache
 * (a rotation). A fetch is followed by `cooldownMs` without one; a token naming an unknown key then waits
 * for the cooldown to end and is looked up once more, so a key published a moment ago is still found.
 */
export function remoteSigningKeys(
  accountsUrl: string,
  { cacheSeconds = 60, cooldownMs = 1000 }: { cacheSeconds?: number; cooldownMs?: number } = {},
): JWTVerifyGetKey {
  // The cache age bounds how long a key dropped by a forced rotation is still trusted here.
  const jwks = createRemoteJWKSet(new URL("/.well-known/jwks.json", accountsUrl), {
    timeoutDuration: 5000,
    cooldownDuration: cooldownMs,
    cacheMaxAge: cacheSeconds * 1000,
  });
  return async (header, token) => {
    try {
      return await jwks(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || !jwks.coolingDown) throw error;
      await new Promise((resolve) => setTimeout(resolve, cooldownMs));
      return jwks(header, token);
    }
  };
}

/**
 * Verifies `Bearer` JWTs: signature and algorithm (ES256 only, so neither `none` nor HS256 keyed with the
 * public key), issuer, audience, a required unexpired `exp`, and an `iat` neither in the future nor more
 * than a day old.
 */
export function createAuthenticator(keys: JWTVerifyGetKey | CryptoKey): Authenticate {
  return async (authorization) => {
    const token = bearerToken(authorization);
    try {
      const { payload } = await (typeof keys === "function"
        ? jwtVerify(token, keys, verifyOptions)
        : jwtVerify(token, keys, verifyOptions));
      if (typeof payload.sub !== "string" || payload.sub === "")
        throw new AuthError(401, "the token names no user");
      return { username: payload.sub };
    } catch (error) {
      if (error instanceof AuthError) throw error;
      if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) {
        throw new UnavailableError("the token cannot be checked now: the signing keys are unreachable");
      }
      throw new AuthError(401, `the token is not valid (${error.code})`);
    }
  };
}

const verifyOptions = {
  algorithms: [TOKEN_ALGORITHM],
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
  requiredClaims: ["exp", "sub", "iat"],
  maxTokenAge: MAX_TOKEN_AGE_SECONDS,
  clockTolerance: 30,
};

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new AuthError(401, "an Authorization: Bearer <token> header is required");
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new AuthError(401, "the Authorization header must use the Bearer scheme");
  return match[1];
}
