import { SignJWT } from "jose";
import { openKeyRing, type SigningKey } from "../../accounts/auth/keys";
import { issueToken } from "../../accounts/auth/tokens";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../shared/http/auth";

/** The key a service trusts, any other key, and the time the service reads (now, unless it has a test clock). */
export type TokenKeys = { trusted: SigningKey; other: SigningKey; at?: Date };

/** The current signing key of the key file at `keyFile` (created if missing), as accounts loads it. */
export async function signingKeyIn(keyFile: string): Promise<SigningKey> {
  return (await openKeyRing({ keyFile })).current();
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
const secondsOf = (at: Date) => Math.floor(at.getTime() / 1000);
const validClaims = (iat: number) => ({
  sub: "user1",
  iss: TOKEN_ISSUER,
  aud: TOKEN_AUDIENCE,
  iat,
  exp: iat + 600,
});

/** A token signed by the trusted key, its claims first altered by `alter` (undefined drops a claim). */
async function signed(
  { trusted, at = new Date() }: TokenKeys,
  alter: (claims: Record<string, unknown>) => void,
) {
  const claims: Record<string, unknown> = validClaims(secondsOf(at));
  alter(claims);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: trusted.kid });
  return `Bearer ${await jwt.sign(trusted.privateKey)}`;
}

const unsignedClaims = { sub: "user1", iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, exp: 4_102_444_800 };

/** Authorization headers (undefined: none) that must each be refused with 401 and a challenge. */
const authorizations = {
  "the Authorization header is missing": async () => undefined,
  "the scheme is Basic": async () => `Basic ${Buffer.from("user1:password1").toString("base64")}`,
  "the Bearer token is empty": async () => "Bearer ",
  "the token is malformed": async () => "Bearer abc",
  "the token has expired": async ({ trusted, at = new Date() }) =>
    `Bearer ${await issueToken(trusted, "user1", new Date(at.getTime() - 3_600_000), 60)}`,
  "the token is signed by another key": async ({ other, at = new Date() }) =>
    `Bearer ${await issueToken(other, "user1", at, 600)}`,
  "the token uses alg none": async () =>
    `Bearer ${base64url({ alg: "none", typ: "JWT" })}.${base64url(unsignedClaims)}.`,
  "the token is for another audience": (keys) => signed(keys, (claims) => (claims.aud = "elsewhere")),
  "the token is from another issuer": (keys) => signed(keys, (claims) => (claims.iss = "elsewhere")),
  "the token has no expiry": (keys) => signed(keys, (claims) => (claims.exp = undefined)),
  "the token names no user": (keys) => signed(keys, (claims) => (claims.sub = undefined)),
  "the token has no issue time": (keys) => signed(keys, (claims) => (claims.iat = undefined)),
  "the token is issued in the future": (keys) =>
    signed(keys, (claims) => {
      claims.iat = Number(claims.iat) + 3600;
      claims.exp = Number(claims.iat) + 600;
    }),
  "the token is older than a day": (keys) =>
    signed(keys, (claims) => {
      claims.iat = Number(claims.iat) - 2 * 86_400;
      claims.exp = Number(claims.iat) + 4 * 86_400;
    }),
  "the token is HS256 keyed with the public key": async ({ trusted, at = new Date() }) => {
    const secret = new TextEncoder().encode(JSON.stringify(trusted.publicJwk));
    const jwt = new SignJWT(validClaims(secondsOf(at))).setProtectedHeader({
      alg: "HS256",
      kid: trusted.kid,
    });
    return `Bearer ${await jwt.sign(secret)}`;
  },
  "the token names a foreign kid": async ({ other, at = new Date() }) => {
    const jwt = new SignJWT(validClaims(secondsOf(at))).setProtectedHeader({
      alg: "ES256",
      kid: "not-a-published-key",
    });
    return `Bearer ${await jwt.sign(other.privateKey)}`;
  },
  "the token's payload is tampered with": async ({ trusted, at = new Date() }) => {
    const [header, , signature] = (await issueToken(trusted, "user1", at, 600)).split(".");
    return `Bearer ${header}.${base64url({ ...validClaims(secondsOf(at)), sub: "user2" })}.${signature}`;
  },
} satisfies Record<string, (keys: TokenKeys) => Promise<string | undefined>>;

export type AuthProblem = keyof typeof authorizations;
export const AUTH_PROBLEMS = Object.keys(authorizations) as AuthProblem[];

/** The Authorization header showing `problem` to a service trusting `keys.trusted`. */
export function badAuthorization(problem: AuthProblem, keys: TokenKeys): Promise<string | undefined> {
  return authorizations[problem](keys);
}
