import {
  createLocalJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  jwtVerify,
} from "jose";
import { AuthError, UnavailableError } from "./errors";

export const TOKEN_ISSUER = "streamledger-accounts";
export const TOKEN_AUDIENCE = "streamledger";
export const TOKEN_ALGORITHM = "ES256";

/** No access token lives longer, whatever its `exp` says (TOKEN_TTL_SECONDS is capped at this too). */
export const MAX_TOKEN_AGE_SECONDS = 86_400;

/** How far apart the clocks of accounts and its verifiers may be. */
export const CLOCK_TOLERANCE_SECONDS = 30;

/** The authenticated user a request acts for. */
export type Caller = { username: string };

/** Turns an Authorization header into the caller, or throws 401 (503 if the signing keys cannot be fetched). */
export type Authenticate = (authorization: string | undefined) => Promise<Caller>;

/**
 * The accounts service's published keys, fetched once and re-fetched when older than `cacheSeconds` or
 * when a token names a key not among them (a rotation). Fetches are at least `cooldownMs` apart: a token
 * naming an unknown key waits for the next one rather than being refused for a key published a moment
 * ago. While accounts cannot be reached, the last key set fetched goes on verifying the keys it has.
 * Ages and the cooldown are measured on `now` (the wall clock unless given).
 */
export function remoteSigningKeys(
  accountsUrl: string,
  {
    cacheSeconds = 60,
    cooldownMs = 1000,
    now = () => new Date(),
  }: { cacheSeconds?: number; cooldownMs?: number; now?: () => Date } = {},
): JWTVerifyGetKey {
  const clockMs = () => now().getTime();
  const url = new URL("/.well-known/jwks.json", accountsUrl);
  let cached: { keys: JWTVerifyGetKey; fetchedAt: number } | undefined;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let fetching: Promise<void> | undefined;
  const fetchKeys = () => {
    fetching ??= (async () => {
      lastAttempt = clockMs();
      const response = await fetch(url, { signal: AbortSignal.timeout(5000), redirect: "error" });
      if (!response.ok) throw new Error(`the key set answered ${response.status}`);
      const jwks = (await response.json()) as JSONWebKeySet;
      cached = { keys: createLocalJWKSet(jwks), fetchedAt: clockMs() };
    })().finally(() => {
      fetching = undefined;
    });
    return fetching;
  };
  const sinceAttempt = () => clockMs() - lastAttempt;

  return async (header, token) => {
    if (!cached) await fetchKeys();
    else if (clockMs() - cached.fetchedAt > cacheSeconds * 1000 && sinceAttempt() >= cooldownMs) {
      // Stale: fetch again, but an unreachable accounts leaves the keys already known in use.
      await fetchKeys().catch(() => undefined);
    }
    const known = cached as { keys: JWTVerifyGetKey };
    try {
      return await known.keys(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey)) throw error;
      const wait = cooldownMs - sinceAttempt();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      await fetchKeys();
      return (cached as { keys: JWTVerifyGetKey }).keys(header, token);
    }
  };
}

/** How many verified tokens an authenticator remembers (see createAuthenticator). */
export const VERIFIED_TOKEN_CACHE_SIZE = 1000;

type KeySource = JWTVerifyGetKey | CryptoKey;
type ResolvedKey = Awaited<ReturnType<JWTVerifyGetKey>>;

/** A token that passed verification: who it names, its time claims, and the key that verified it. */
type Verified = {
  caller: Caller;
  exp: number;
  iat: number;
  nbf: number | undefined;
  /** What the key set gave for the token (absent with a single key, which never changes). */
  resolved: Resolved | undefined;
};

type Resolved = {
  key: ResolvedKey;
  header: Parameters<JWTVerifyGetKey>[0];
  input: Parameters<JWTVerifyGetKey>[1];
};

/**
 * Verifies `Bearer` JWTs: signature and algorithm (ES256 only, so neither `none` nor HS256 keyed with the
 * public key), issuer, audience, a required unexpired `exp`, and an `iat` neither in the future nor more
 * than a day old.
 *
 * A token that passed is remembered by its exact text (at most `cacheSize`, oldest dropped first), so its
 * signature is not checked again on every request: a remembered token is accepted again only while its
 * time claims still pass the same checks at `now()`, and only while the key set still gives the very key
 * that verified it (a re-fetched key set, or a key dropped from it, means a full verification). Any other
 * text, a tampered or forged token included, is verified in full. SECURITY.md has the reasoning.
 */
export function createAuthenticator(
  keys: KeySource,
  {
    now = () => new Date(),
    cacheSize = VERIFIED_TOKEN_CACHE_SIZE,
  }: { now?: () => Date; cacheSize?: number } = {},
): Authenticate {
  const verified = new Map<string, Verified>();

  async function verify(token: string): Promise<Verified> {
    const currentDate = now();
    if (typeof keys !== "function") {
      const { payload } = await jwtVerify(token, keys, { ...verifyOptions, currentDate });
      return verifiedOf(payload, undefined);
    }
    // The key set's answer for this token, kept to tell later whether the key set still gives it.
    let resolved: Resolved | undefined;
    const { payload } = await jwtVerify(
      token,
      async (header, input) => {
        const key = await keys(header, input);
        resolved = { key, header, input };
        return key;
      },
      { ...verifyOptions, currentDate },
    );
    if (!resolved) throw new errors.JWKSNoMatchingKey();
    return verifiedOf(payload, resolved);
  }

  async function stillGood(entry: Verified): Promise<boolean> {
    if (!timeClaimsPass(entry, now())) return false;
    if (typeof keys !== "function" || !entry.resolved) return true;
    const { key, header, input } = entry.resolved;
    return (await keys(header, input)) === key;
  }

  return async (authorization) => {
    const token = bearerToken(authorization);
    try {
      const remembered = verified.get(token);
      if (remembered && (await stillGood(remembered))) return remembered.caller;
      verified.delete(token);
      const fresh = await verify(token);
      if (verified.size >= cacheSize) {
        const oldest = verified.keys().next();
        if (!oldest.done) verified.delete(oldest.value);
      }
      if (cacheSize > 0) verified.set(token, fresh);
      return fresh.caller;
    } catch (error) {
      if (error instanceof AuthError) throw error;
      const refused =
        error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)
          ? new UnavailableError("the token cannot be checked now: the signing keys are unreachable")
          : new AuthError(401, refusalOf(error));
      refused.reason = error instanceof errors.JOSEError ? error.code : String(error);
      throw refused;
    }
  };
}

/** Why jose refused a token, in the project's words (its error code goes to the request's log line). */
function refusalOf(error: errors.JOSEError): string {
  if (error instanceof errors.JWTClaimValidationFailed) {
    return `the token's "${error.claim}" claim is not accepted`;
  }
  const known = REFUSALS.find(([kind]) => error instanceof kind);
  return known ? known[1] : "the token is not valid";
}

const REFUSALS: [abstract new (...args: never[]) => errors.JOSEError, string][] = [
  [errors.JWTExpired, "the token has expired: refresh it or log in again"],
  [errors.JOSEAlgNotAllowed, "the token must be signed with ES256"],
  [errors.JWSSignatureVerificationFailed, "the token's signature does not verify"],
  [errors.JWKSNoMatchingKey, "the token is signed with a key this service does not know"],
  [errors.JWSInvalid, "the token is malformed"],
  [errors.JWTInvalid, "the token is malformed"],
];

function verifiedOf(payload: JWTPayload, resolved: Resolved | undefined): Verified {
  if (typeof payload.sub !== "string" || payload.sub === "")
    throw new AuthError(401, "the token names no user");
  // jwtVerify has required exp and iat (numbers); nbf is optional.
  return {
    caller: { username: payload.sub },
    exp: payload.exp as number,
    iat: payload.iat as number,
    nbf: payload.nbf,
    resolved,
  };
}

/** jose's own time checks (jwt_claims_set.js), with the same options, for a token verified earlier. */
function timeClaimsPass(entry: Verified, at: Date): boolean {
  const nowSeconds = Math.floor(at.getTime() / 1000);
  const tolerance = CLOCK_TOLERANCE_SECONDS;
  const age = nowSeconds - entry.iat;
  return (
    entry.exp > nowSeconds - tolerance &&
    (entry.nbf === undefined || entry.nbf <= nowSeconds + tolerance) &&
    age - tolerance <= MAX_TOKEN_AGE_SECONDS &&
    age >= -tolerance
  );
}

const verifyOptions = {
  algorithms: [TOKEN_ALGORITHM],
  issuer: TOKEN_ISSUER,
  audience: TOKEN_AUDIENCE,
  requiredClaims: ["exp", "sub", "iat"],
  maxTokenAge: MAX_TOKEN_AGE_SECONDS,
  clockTolerance: CLOCK_TOLERANCE_SECONDS,
};

function bearerToken(authorization: string | undefined): string {
  if (!authorization) throw new AuthError(401, "an Authorization: Bearer <token> header is required");
  const match = /^Bearer +([A-Za-z0-9._~+/-]+=*)$/i.exec(authorization.trim());
  if (!match?.[1]) throw new AuthError(401, "the Authorization header must use the Bearer scheme");
  return match[1];
}
