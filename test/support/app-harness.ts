import { expect } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { SignJWT } from "jose";
import { uuidv7 } from "uuidv7";
import { createApp as createAccountsApp } from "../../accounts/app";
import { type KeyRing, openKeyRing, type SigningKey } from "../../accounts/auth/keys";
import { createLoginGuard, type LoginLimits } from "../../accounts/auth/login-guard";
import { createSessionStore } from "../../accounts/auth/sessions";
import { issueToken } from "../../accounts/auth/tokens";
import { accountCreated } from "../../accounts/domain";
import { createChangeHub } from "../../accounts/live";
import { createRevenueProjection } from "../../accounts/revenue/handler";
import { seedDevelopmentUsers } from "../../accounts/seed";
import { createAccountsStore } from "../../accounts/store";
import {
  accounts,
  customers as accountsCustomers,
  invoices as accountsInvoices,
  refreshTokens,
  users,
} from "../../accounts/tables";
import { createAccountsView } from "../../customers/accounts-view";
import { createApp as createCustomersApp } from "../../customers/app";
import { createCustomersStore } from "../../customers/store";
import { customers, invoices, knownAccounts } from "../../customers/tables";
import type { DomainEvent } from "../../shared/events/schemas";
import { compareStreamIds } from "../../shared/events/stream-contract";
import { encodeEnvelope, envelopeOf } from "../../shared/events/wire";
import { createAuthenticator, TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../shared/http/auth";
import { idempotencyKeys } from "../../shared/http/idempotency";
import { createMetrics } from "../../shared/http/metrics";
import { outbox } from "../../shared/outbox/table";
import { loadConfig } from "../../shared/process/config";
import { createLogger } from "../../shared/process/log";
import { startStreamPlumbing } from "../../shared/process/plumbing";
import type { BatchResult, Projection } from "../../shared/projection/projection";
import { type Db, openDatabase, type SqliteDatabase } from "../../shared/sqlite/db";
import type { Reply } from "./api";
import { eventually, startRedis, tempDir } from "./resources";

const ROOT = join(import.meta.dir, "..", "..");
const TOKEN_TTL_SECONDS = 600;
/** The one origin the in-process apps allow (CORS). */
export const DASHBOARD_ORIGIN = "http://dashboard.test";

/** What a rejected request must leave untouched: table row counts, the outbox, the stream's length. */
export type Footprint = { rows: Record<string, number>; outbox: number; stream: number };

/** A request's parts: `json` is sent with Content-Type application/json, `body` is sent as it is. */
export type Send = {
  authorization?: string;
  json?: unknown;
  body?: string | Uint8Array;
  headers?: Record<string, string>;
};

/** One bad request and what it must get: `status`, and an `errors` entry for each of `fields`. */
export type Case = { situation: string; status: number; fields: string[]; send: () => Send };

export function rejects(situation: string, status: number, fields: string[], send: () => Send): Case {
  return { situation, status, fields, send };
}

const raw = (body: string | Uint8Array, contentType?: string): Send => ({
  body,
  headers: contentType ? { "content-type": contentType } : {},
});

/** Bodies no JSON write route can read, whatever fields it wants. */
export const unreadableBodies: Case[] = [
  rejects("the body is malformed JSON", 400, [], () => raw('{"name": ', "application/json")),
  rejects("the body is empty", 400, [], () => raw("", "application/json")),
  rejects("there is no body", 400, ["body"], () => ({ headers: { "content-type": "application/json" } })),
  rejects("the content type is text/plain", 415, ["body"], () => raw('{"name":"x"}', "text/plain")),
  rejects("the body is a form", 415, ["body"], () => raw("name=x", "application/x-www-form-urlencoded")),
  rejects("there is no content type", 415, ["body"], () => raw(new TextEncoder().encode('{"name":"x"}'))),
  rejects("the body is a JSON array", 422, ["body"], () => ({ json: [] })),
  rejects("the body is a JSON string", 422, ["body"], () => ({ json: "x" })),
  rejects("the body is JSON null", 400, ["body"], () => raw("null", "application/json")),
  rejects("the body is a JSON number", 422, ["body"], () => ({ json: 42 })),
  rejects("a key is given twice", 422, ["name"], () => raw('{"name":"a","name":"b"}', "application/json")),
  rejects("a key is given twice, once escaped", 422, ["name"], () =>
    raw('{"name":"a","n\u0061me":"b"}', "application/json"),
  ),
  rejects("the body is invalid UTF-8", 400, [], () =>
    raw(new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22]), "application/json"),
  ),
];

type Shared = Awaited<ReturnType<typeof openResources>>;

/**
 * What both apps stand on: a temp dir with the SQLite file and the signing key, its own redis-server and
 * stream key, an outbox relay, and a consumer feeding `projection`, wired as main.ts wires them.
 */
async function openResources(
  service: "customers" | "accounts",
  projection: (db: Db) => Projection,
  onCommitted?: (result: BatchResult) => void,
) {
  const dir = tempDir(`streamledger-${service}-app-`);
  const redis = await startRedis();
  const streamKey = `test-stream-${crypto.randomUUID()}`;
  const logger = createLogger(service, "error");
  let database: SqliteDatabase | undefined;
  let keys: KeyRing;
  let signingKey: SigningKey;
  try {
    database = openDatabase(join(dir.path, `${service}.sqlite`), join(ROOT, "migrations", service));
    keys = await openKeyRing({ keyFile: join(dir.path, "signing-keys.json") });
    signingKey = await keys.current();
  } catch (error) {
    database?.close();
    await redis.stop();
    dir.remove();
    throw error;
  }
  // Nothing below throws; from here on close() releases everything.
  const metrics = createMetrics(service);
  const config = loadConfig({
    REDIS_URL: redis.url,
    STREAM_KEY: streamKey,
    CONSUMER_BATCH_SIZE: "100",
    CONSUMER_BLOCK_MS: "200",
  });
  const plumbing = startStreamPlumbing({
    service,
    config,
    db: database.db,
    projection: projection(database.db),
    logger,
    metrics,
    now: () => new Date(),
    onCommitted,
  });
  const { relay, consumer, stuckAfterMs } = plumbing;
  const connection = plumbing.redis;
  return {
    dir,
    redis,
    streamKey,
    logger,
    metrics,
    database,
    connection,
    relay,
    keys,
    signingKey,
    consumer,
    stuckAfterMs,
  };
}

function countRows(db: Db, tables: Record<string, SQLiteTable>): Record<string, number> {
  const count = (table: SQLiteTable) => db.select({ n: sql<number>`count(*)` }).from(table).get()?.n ?? 0;
  return Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, count(table)]));
}

function harness(
  shared: Shared,
  app: { handle(request: Request): Promise<Response> },
  tables: Record<string, SQLiteTable>,
) {
  const { database, relay, redis, streamKey, signingKey, consumer } = shared;
  let otherKey: Promise<SigningKey> | undefined;
  const self = {
    ...shared,
    /** An in-process request through `app.handle`. */
    async call(method: string, path: string, options: Send = {}): Promise<Reply> {
      const headers: Record<string, string> = { ...options.headers };
      if (options.authorization !== undefined) headers.authorization = options.authorization;
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] ??= "application/json";
      }
      const response = await app.handle(new Request(`http://localhost${path}`, { method, headers, body }));
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: response.status, body: parsed as Record<string, unknown>, headers: response.headers };
    },
    /** The Authorization header showing `problem` to this app. */
    async badAuthorization(problem: AuthProblem): Promise<string | undefined> {
      otherKey ??= signingKeyIn(join(shared.dir.path, "other-signing-keys.json"));
      return badAuthorization(problem, { trusted: signingKey, other: await otherKey });
    },
    /** `Bearer <token>` for `username`, signed with the app's key. */
    async bearer(username: string): Promise<string> {
      return `Bearer ${await issueToken(signingKey, username, new Date(), TOKEN_TTL_SECONDS)}`;
    },
    /** Publishes whatever the outbox holds, then counts rows, outbox and stream entries. */
    async footprint(): Promise<Footprint> {
      await relay.flush();
      return {
        rows: countRows(database.db, tables),
        outbox: countRows(database.db, { outbox }).outbox ?? 0,
        stream: await redis.client.xlen(streamKey),
      };
    },
    /** Sends a bad request: a problem naming `fields`, and no new row, outbox entry or stream entry. */
    async expectRejected(method: string, path: string, send: Send, status: number, fields: string[] = []) {
      const before = await self.footprint();
      const reply = await self.call(method, path, send);
      expectProblem(reply, status, fields, path);
      const after = await self.footprint();
      expect(after).toEqual(before);
      expect(after.outbox).toBe(0);
      return reply;
    },
    async close() {
      try {
        await consumer.close();
        await relay.close();
      } finally {
        shared.connection.disconnect();
        database.close();
        await redis.stop();
        shared.dir.remove();
      }
    },
  };
  return self;
}

export type CustomersHarness = Awaited<ReturnType<typeof startCustomersApp>>;

/** The customers app in process, its consumer reading AccountCreated entries the test adds to the stream. */
export async function startCustomersApp() {
  const now = () => new Date();
  const shared = await openResources("customers", (db) => createAccountsView({ db, now, newId: uuidv7 }));
  const { consumer, database, signingKey } = shared;
  const app = createCustomersApp({
    ...shared,
    dashboardOrigins: [DASHBOARD_ORIGIN],
    redis: shared.connection,
    db: database.db,
    store: createCustomersStore(database.db),
    authenticate: createAuthenticator(signingKey.publicKey),
    now,
    newEventId: uuidv7,
  });
  return {
    ...harness(shared, app, {
      known_accounts: knownAccounts,
      customers,
      invoices,
      idempotency_keys: idempotencyKeys,
    }),
    app,
    /** XADDs an AccountCreated entry in the wire format and waits until the consumer has applied it. */
    async publishAccount(id: number, ownedBy: string): Promise<void> {
      const at = new Date();
      const event = accountCreated({
        id,
        name: `account ${id}`,
        description: "",
        ownedBy,
        createdDate: at.toISOString(),
        totalRevenueCents: 0,
      });
      await this.publish(event);
    },
    /** XADDs an event in the wire format and waits until the consumer has read past it. */
    async publish(event: DomainEvent): Promise<void> {
      const fields = encodeEnvelope(envelopeOf(event, uuidv7(), new Date()));
      const entryId = await shared.redis.client.xadd(shared.streamKey, "*", ...fields);
      if (!entryId) throw new Error("XADD added no entry");
      // At or past it: the app's own relay may put an event after it, read in the same batch.
      await eventually(
        `customers to apply ${entryId}`,
        () => compareStreamIds(consumer.status().position, entryId) >= 0,
      );
    },
    /** The stream's entries, as field maps, oldest first. */
    async entries(): Promise<Record<string, string>[]> {
      const all = await shared.redis.client.xrange(shared.streamKey, "-", "+");
      return all.map(([, fields]) => {
        const map: Record<string, string> = {};
        for (let i = 0; i + 1 < fields.length; i += 2) map[fields[i] as string] = fields[i + 1] as string;
        return map;
      });
    },
  };
}

export type AccountsHarness = Awaited<ReturnType<typeof startAccountsApp>>;

/** The current signing key of the key file at `keyFile` (created if missing), as accounts loads it. */
export async function signingKeyIn(keyFile: string): Promise<SigningKey> {
  return (await openKeyRing({ keyFile })).current();
}

/** Generous enough that no test other than the rate-limit ones meets them. */
const TEST_LOGIN_LIMITS: LoginLimits = {
  windowSeconds: 300,
  maxFailuresPerUser: 10,
  maxAttemptsPerClient: 1000,
};

/** The accounts app in process with user1/password1 (account 1) and user2/password2 (account 2) seeded. */
export async function startAccountsApp(options: { loginLimits?: LoginLimits; clientIpHeader?: string } = {}) {
  const now = () => new Date();
  const hub = createChangeHub();
  const shared = await openResources(
    "accounts",
    (db) => createRevenueProjection({ db, now, newId: uuidv7 }),
    (result) => {
      if (result.applied > 0) hub.notify();
    },
  );
  const store = createAccountsStore(shared.database.db);
  const at = now();
  const devUsers = [
    { username: "user1", password: "password1", accountName: "one" },
    { username: "user2", password: "password2", accountName: "two" },
  ];
  await seedDevelopmentUsers(store, devUsers, at, (account) =>
    envelopeOf(accountCreated(account), uuidv7(), at),
  );
  const app = createAccountsApp({
    ...shared,
    redis: shared.connection,
    db: shared.database.db,
    store,
    sessions: createSessionStore(shared.database.db, 3600),
    loginGuard: createLoginGuard(options.loginLimits ?? TEST_LOGIN_LIMITS),
    clientIpHeader: options.clientIpHeader,
    authenticate: createAuthenticator(shared.keys.verificationKey),
    tokenTtlSeconds: TOKEN_TTL_SECONDS,
    now,
    newEventId: uuidv7,
    hub,
    position: () => shared.consumer.status().position,
    dashboardOrigins: [DASHBOARD_ORIGIN],
    customersUrl: "http://customers.test",
  });
  await shared.relay.flush();
  const tables = {
    users,
    accounts,
    customers: accountsCustomers,
    invoices: accountsInvoices,
    refresh_tokens: refreshTokens,
  };
  return { ...harness(shared, app, { ...tables, idempotency_keys: idempotencyKeys }), hub, app };
}

type TokenKeys = { trusted: SigningKey; other: SigningKey };

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");

/** A token signed by the trusted key, its claims first altered by `alter` (undefined drops a claim). */
async function signed({ trusted }: TokenKeys, alter: (claims: Record<string, unknown>) => void) {
  const iat = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { sub: "user1", iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat };
  claims.exp = iat + 600;
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
  "the token has expired": async ({ trusted }) =>
    `Bearer ${await issueToken(trusted, "user1", new Date(Date.now() - 3_600_000), 60)}`,
  "the token is signed by another key": async ({ other }) =>
    `Bearer ${await issueToken(other, "user1", new Date(), 600)}`,
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
  "the token is HS256 keyed with the public key": async ({ trusted }) => {
    const secret = new TextEncoder().encode(JSON.stringify(trusted.publicJwk));
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub: "user1", iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat, exp: iat + 600 };
    return `Bearer ${await new SignJWT(claims).setProtectedHeader({ alg: "HS256", kid: trusted.kid }).sign(secret)}`;
  },
  "the token names a foreign kid": async ({ other }) => {
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub: "user1", iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat, exp: iat + 600 };
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: "not-a-published-key" });
    return `Bearer ${await jwt.sign(other.privateKey)}`;
  },
  "the token's payload is tampered with": async ({ trusted }) => {
    const [header, , signature] = (await issueToken(trusted, "user1", new Date(), 600)).split(".");
    const iat = Math.floor(Date.now() / 1000);
    const claims = { sub: "user2", iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE, iat, exp: iat + 600 };
    return `Bearer ${header}.${base64url(claims)}.${signature}`;
  },
} satisfies Record<string, (keys: TokenKeys) => Promise<string | undefined>>;

export type AuthProblem = keyof typeof authorizations;
export const AUTH_PROBLEMS = Object.keys(authorizations) as AuthProblem[];

/** The Authorization header showing `problem` to a service trusting `trusted` (`other` is any other key). */
export function badAuthorization(problem: AuthProblem, keys: TokenKeys): Promise<string | undefined> {
  return authorizations[problem](keys);
}

/**
 * Asserts an RFC 9457 problem response with `status` whose `errors` names each of `fields`; a 401 about a
 * bearer token must also carry a WWW-Authenticate challenge, a failed login or refresh (/auth/...) must not.
 */
export function expectProblem(reply: Reply, status: number, fields: string[] = [], path = ""): void {
  const { type, title, detail, errors } = reply.body;
  // Plain values only: Bun 1.4.4's toMatchObject writes asymmetric matchers into the received object.
  expect({ status: reply.status, bodyStatus: reply.body.status, type }).toEqual({
    status,
    bodyStatus: status,
    type: "about:blank",
  });
  expect(reply.headers.get("content-type")).toStartWith("application/problem+json");
  expect([typeof title, typeof detail, String(detail).length > 0]).toEqual(["string", "string", true]);
  for (const field of fields) {
    expect(errors ?? {}).toHaveProperty([field]);
    const messages = (errors as Record<string, unknown>)[field];
    expect(
      Array.isArray(messages) && messages.length > 0 && messages.every((m) => typeof m === "string"),
    ).toBe(true);
  }
  if (status === 401 && path.startsWith("/auth/")) expect(reply.headers.get("www-authenticate")).toBeNull();
  else if (status === 401) expect(reply.headers.get("www-authenticate")).toStartWith("Bearer");
}
