import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK, SignJWT } from "jose";
import { type Authenticate, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER } from "../shared/auth";
import { AuthError } from "../shared/errors";

export type SigningKey = { kid: string; privateKey: CryptoKey; publicKey: CryptoKey; publicJwk: JWK };

/**
 * The token signing key: from `privateJwk` (the JWT_PRIVATE_KEY variable) when given, else from
 * `keyFile`, which is created with a new P-256 key (owner-only) on first start.
 */
export async function loadSigningKey(source: { privateJwk?: string; keyFile: string }): Promise<SigningKey> {
  let jwk: JWK;
  if (source.privateJwk) {
    jwk = parsePrivateJwk(source.privateJwk, "JWT_PRIVATE_KEY");
  } else if (existsSync(source.keyFile)) {
    jwk = parsePrivateJwk(readFileSync(source.keyFile, "utf8"), source.keyFile);
  } else {
    const pair = await generateKeyPair(TOKEN_ALGORITHM, { extractable: true });
    jwk = await exportJWK(pair.privateKey);
    mkdirSync(dirname(source.keyFile), { recursive: true, mode: 0o700 });
    writeFileSync(source.keyFile, JSON.stringify(jwk), { mode: 0o600, flag: "wx" });
    chmodSync(source.keyFile, 0o600);
  }
  const { d: _private, ...publicPart } = jwk;
  const kid = await calculateJwkThumbprint(publicPart);
  const privateKey = (await importJWK({ ...jwk, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;
  const publicKey = (await importJWK({ ...publicPart, alg: TOKEN_ALGORITHM }, TOKEN_ALGORITHM)) as CryptoKey;
  return { kid, privateKey, publicKey, publicJwk: { ...publicPart, kid, alg: TOKEN_ALGORITHM, use: "sig" } };
}

function parsePrivateJwk(text: string, origin: string): JWK {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Error(`${origin} is not a JSON Web Key`);
  }
  const key = jwk as JWK;
  if (key?.kty !== "EC" || key.crv !== "P-256" || typeof key.d !== "string") {
    throw new Error(`${origin} must be a private EC P-256 JSON Web Key (kty "EC", crv "P-256", with "d")`);
  }
  return key;
}

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
