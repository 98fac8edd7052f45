import { describe, expect, test } from "bun:test";
import { exportJWK, generateKeyPair, type JWK, SignJWT } from "jose";
import {
  type Authenticate,
  CLOCK_TOLERANCE_SECONDS,
  createAuthenticator,
  MAX_TOKEN_AGE_SECONDS,
  remoteSigningKeys,
  TOKEN_AUDIENCE,
  TOKEN_ISSUER,
} from "../../../shared/http/auth";
import { AuthError } from "../../../shared/http/errors";
import { createTestClock } from "../../support/clock";
import { cleanupAfterEach } from "../../support/lifecycle";

const cleanups = cleanupAfterEach();

type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;
const T0 = Date.parse("2026-01-01T12:00:00Z");
const seconds = (s: number) => s * 1000;

async function signed(
  pair: KeyPair,
  kid: string,
  claims: { sub?: string; iatMs?: number; expMs?: number; nbfMs?: number } = {},
): Promise<string> {
  const { sub = "user1", iatMs = T0, expMs = T0 + seconds(600), nbfMs } = claims;
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: "ES256", kid })
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setSubject(sub)
    .setIssuedAt(Math.floor(iatMs / 1000))
    .setExpirationTime(Math.floor(expMs / 1000));
  if (nbfMs !== undefined) jwt.setNotBefore(Math.floor(nbfMs / 1000));
  return jwt.sign(pair.privateKey);
}

/** The status an Authenticate call ends in: 200 with the username, or the AuthError's status. */
async function outcome(authenticate: Authenticate, token: string): Promise<string | number> {
  try {
    return (await authenticate(`Bearer ${token}`)).username;
  } catch (error) {
    if (error instanceof AuthError) return error.status;
    throw error;
  }
}

/** A clock the test moves. */
const clock = (startMs = T0) => createTestClock(new Date(startMs));

/** A JWKS endpoint on a free port whose published keys the test changes, or which goes down (503). */
function jwksServer(initial: JWK[]) {
  let keys = initial;
  let down = false;
  let fetches = 0;
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      fetches += 1;
      return down ? new Response("down", { status: 503 }) : Response.json({ keys });
    },
  });
  cleanups.push(() => server.stop(true));
  return {
    url: `http://127.0.0.1:${server.port}`,
    publish: (next: JWK[]) => {
      keys = next;
    },
    goDown: () => {
      down = true;
    },
    fetches: () => fetches,
  };
}

// The remote key sets' clock: with cacheSeconds 0 a key set is stale once this clock has moved on.
const keySetClock = createTestClock();
const untilStale = () => keySetClock.advance(1);

async function publicJwk(pair: KeyPair, kid: string): Promise<JWK> {
  return { ...(await exportJWK(pair.publicKey)), kid, alg: "ES256", use: "sig" };
}

describe("a verified token remembered by the authenticator", () => {
  test("is refused once its exp has passed (with the clock tolerance), though it was accepted before", async () => {
    const pair = await generateKeyPair("ES256");
    const time = clock();
    const authenticate = createAuthenticator(pair.publicKey, { now: time.now });
    const expMs = T0 + seconds(60);
    const token = await signed(pair, "k1", { expMs });

    expect(await outcome(authenticate, token)).toBe("user1");
    time.set(expMs + seconds(CLOCK_TOLERANCE_SECONDS) - seconds(1));
    expect(await outcome(authenticate, token)).toBe("user1");
    time.set(expMs + seconds(CLOCK_TOLERANCE_SECONDS));
    expect(await outcome(authenticate, token)).toBe(401);
    time.set(expMs + seconds(3600));
    expect(await outcome(authenticate, token)).toBe(401);
  });

  test("is refused once it is older than the maximum token age, whatever its exp says", async () => {
    const pair = await generateKeyPair("ES256");
    const time = clock();
    const authenticate = createAuthenticator(pair.publicKey, { now: time.now });
    const token = await signed(pair, "k1", { expMs: T0 + seconds(7 * 86_400) });

    expect(await outcome(authenticate, token)).toBe("user1");
    time.set(T0 + seconds(MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS));
    expect(await outcome(authenticate, token)).toBe("user1");
    time.set(T0 + seconds(MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS + 1));
    expect(await outcome(authenticate, token)).toBe(401);
  });

  test("is refused when the clock goes back before its iat or nbf (beyond the tolerance)", async () => {
    const pair = await generateKeyPair("ES256");
    const time = clock();
    const authenticate = createAuthenticator(pair.publicKey, { now: time.now });
    const token = await signed(pair, "k1", { nbfMs: T0 });

    expect(await outcome(authenticate, token)).toBe("user1");
    time.set(T0 - seconds(CLOCK_TOLERANCE_SECONDS + 1));
    expect(await outcome(authenticate, token)).toBe(401);
    time.set(T0);
    expect(await outcome(authenticate, token)).toBe("user1");
  });

  test("does not let a tampered copy through: changed claims, changed signature, a forged signature", async () => {
    const pair = await generateKeyPair("ES256");
    const other = await generateKeyPair("ES256");
    const time = clock();
    const authenticate = createAuthenticator(pair.publicKey, { now: time.now });
    const genuine = await signed(pair, "k1");
    expect(await outcome(authenticate, genuine)).toBe("user1");

    const [header, payload, signature] = genuine.split(".") as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as Record<string, unknown>;
    const asUser2 = Buffer.from(JSON.stringify({ ...claims, sub: "user2" })).toString("base64url");
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "AB" : "AA"}`;
    const forged = await signed(other, "k1", { sub: "user2" });

    expect(await outcome(authenticate, `${header}.${asUser2}.${signature}`)).toBe(401);
    expect(await outcome(authenticate, `${header}.${payload}.${flipped}`)).toBe(401);
    expect(await outcome(authenticate, forged)).toBe(401);
    // The genuine one is still remembered, and still accepted.
    expect(await outcome(authenticate, genuine)).toBe("user1");
  });

  test("keeps at most cacheSize tokens and still verifies the ones it dropped", async () => {
    const pair = await generateKeyPair("ES256");
    const authenticate = createAuthenticator(pair.publicKey, { now: clock().now, cacheSize: 2 });
    const tokens = await Promise.all(["a", "b", "c"].map((sub) => signed(pair, "k1", { sub })));
    for (const token of tokens) expect(await outcome(authenticate, token)).toBeString();
    expect(await Promise.all(tokens.map((token) => outcome(authenticate, token)))).toEqual(["a", "b", "c"]);
  });
});

describe("a remembered token under a remote key set", () => {
  test("is refused once its key is dropped from the published set (a forced rotation)", async () => {
    const first = await generateKeyPair("ES256");
    const second = await generateKeyPair("ES256");
    const jwks = jwksServer([await publicJwk(first, "k1")]);
    const time = clock(Date.now());
    // Every check finds the key set stale and fetches it again (no cache, no cooldown).
    const keys = remoteSigningKeys(jwks.url, { cacheSeconds: 0, cooldownMs: 0, now: keySetClock.now });
    const authenticate = createAuthenticator(keys, { now: time.now });
    const token = await signed(first, "k1", { iatMs: Date.now(), expMs: Date.now() + seconds(600) });

    expect(await outcome(authenticate, token)).toBe("user1");
    expect(await outcome(authenticate, token)).toBe("user1");
    jwks.publish([await publicJwk(second, "k2")]);
    await untilStale();
    const fetched = jwks.fetches();
    expect(await outcome(authenticate, token)).toBe(401);
    expect(jwks.fetches()).toBeGreaterThan(fetched);
    const newer = await signed(second, "k2", { iatMs: Date.now(), expMs: Date.now() + seconds(600) });
    expect(await outcome(authenticate, newer)).toBe("user1");
  });

  test("is refused when the published key under its kid is replaced by another", async () => {
    const first = await generateKeyPair("ES256");
    const impostor = await generateKeyPair("ES256");
    const jwks = jwksServer([await publicJwk(first, "k1")]);
    const keys = remoteSigningKeys(jwks.url, { cacheSeconds: 0, cooldownMs: 0, now: keySetClock.now });
    const authenticate = createAuthenticator(keys);
    const token = await signed(first, "k1", { iatMs: Date.now(), expMs: Date.now() + seconds(600) });

    expect(await outcome(authenticate, token)).toBe("user1");
    jwks.publish([await publicJwk(impostor, "k1")]);
    await untilStale();
    expect(await outcome(authenticate, token)).toBe(401);
    expect(jwks.fetches()).toBeGreaterThanOrEqual(2);
  });

  test("is accepted while the cached key set still holds its key", async () => {
    const first = await generateKeyPair("ES256");
    const jwks = jwksServer([await publicJwk(first, "k1")]);
    const keys = remoteSigningKeys(jwks.url, { cacheSeconds: 3600 });
    const authenticate = createAuthenticator(keys);
    const token = await signed(first, "k1", { iatMs: Date.now(), expMs: Date.now() + seconds(600) });

    for (let i = 0; i < 3; i++) expect(await outcome(authenticate, token)).toBe("user1");
    expect(jwks.fetches()).toBe(1);
  });

  test("is accepted, as is a new token, with the keys fetched last while the key set is down past its cache age", async () => {
    const pair = await generateKeyPair("ES256");
    const jwks = jwksServer([await publicJwk(pair, "k1")]);
    const time = createTestClock();
    const keys = remoteSigningKeys(jwks.url, { cacheSeconds: 1, now: time.now });
    const authenticate = createAuthenticator(keys);
    const claims = () => ({ iatMs: Date.now(), expMs: Date.now() + seconds(600) });
    const token = await signed(pair, "k1", claims());
    expect(await outcome(authenticate, token)).toBe("user1");

    jwks.goDown();
    time.advance(2500);
    expect(await outcome(authenticate, token)).toBe("user1");
    expect(jwks.fetches()).toBe(2);
    expect(await outcome(authenticate, await signed(pair, "k1", { ...claims(), sub: "user2" }))).toBe(
      "user2",
    );
  });
});

describe("a refused token's answer", () => {
  test("says why in the project's words; jose's error code is kept for the request's log line", async () => {
    const known = await generateKeyPair("ES256");
    const stranger = await generateKeyPair("ES256");
    const jwks = jwksServer([await publicJwk(known, "k1")]);
    const authenticate = createAuthenticator(remoteSigningKeys(jwks.url, { cooldownMs: 0 }));
    const now = Date.now();
    const refusal = async (token: string) =>
      authenticate(`Bearer ${token}`).then(
        () => undefined,
        (error: AuthError) => ({ status: error.status, detail: error.message, reason: error.reason }),
      );

    expect(await refusal(await signed(stranger, "k9", { iatMs: now, expMs: now + seconds(600) }))).toEqual({
      status: 401,
      detail: "the token is signed with a key this service does not know",
      reason: "ERR_JWKS_NO_MATCHING_KEY",
    });
    expect(await refusal(await signed(stranger, "k1", { iatMs: now, expMs: now + seconds(600) }))).toEqual({
      status: 401,
      detail: "the token's signature does not verify",
      reason: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    });
    expect(
      await refusal(await signed(known, "k1", { iatMs: now - seconds(900), expMs: now - seconds(600) })),
    ).toEqual({
      status: 401,
      detail: "the token has expired: refresh it or log in again",
      reason: "ERR_JWT_EXPIRED",
    });
  });
});
