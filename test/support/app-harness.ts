import { expect } from "bun:test";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import type { SQLiteTable } from "drizzle-orm/sqlite-core";
import { openKeyRing, type SigningKey } from "../../accounts/auth/keys";
import { issueToken } from "../../accounts/auth/tokens";
import { createAuthenticator } from "../../shared/http/auth";
import { createMetrics } from "../../shared/http/metrics";
import { outbox } from "../../shared/outbox/table";
import { loadConfig } from "../../shared/process/config";
import { createLogger } from "../../shared/process/log";
import type { BatchResult, Projection } from "../../shared/projection/projection";
import { startStreamPlumbing } from "../../shared/service/plumbing";
import { type Db, openDatabase, type SqliteDatabase } from "../../shared/sqlite/db";
import { type Reply, replyOf } from "./api";
import type { Send } from "./bad-requests";
import { type AuthProblem, badAuthorization, signingKeyIn } from "./bad-tokens";
import { createTestClock, type TestClock } from "./clock";
import { expectProblem } from "./problems";
import { startRedis, tempDir } from "./resources";

const ROOT = join(import.meta.dir, "..", "..");
/** How long the access tokens of `bearer` and of the accounts app's logins live. */
export const TOKEN_TTL_SECONDS = 600;
/** The one origin the in-process apps allow (CORS). */
export const DASHBOARD_ORIGIN = "http://dashboard.test";

/** What a rejected request must leave untouched: table row counts, the outbox, the stream's length. */
export type Footprint = { rows: Record<string, number>; outbox: number; stream: number };

export type AppResources = Awaited<ReturnType<typeof openAppResources>>;

/**
 * What both apps stand on: a temp dir with the SQLite file and the signing key, its own redis-server and
 * stream key, an outbox relay, and a consumer feeding `projection`, wired as main.ts wires them. Every
 * part reads the time from `clock`, which stands still until the test moves it.
 */
export async function openAppResources(
  service: "customers" | "accounts",
  projection: (db: Db, clock: TestClock) => Projection,
  onCommitted?: (result: BatchResult) => void,
) {
  const clock = createTestClock();
  const dir = tempDir(`streamledger-${service}-app-`);
  const redis = await startRedis();
  const streamKey = `test-stream-${crypto.randomUUID()}`;
  const logger = createLogger(service, "error");
  let database: SqliteDatabase | undefined;
  try {
    database = openDatabase(join(dir.path, `${service}.sqlite`), join(ROOT, "migrations", service));
    const keys = await openKeyRing({ keyFile: join(dir.path, "signing-keys.json") });
    const signingKey = await keys.current();
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
      projection: projection(database.db, clock),
      logger,
      metrics,
      now: clock.now,
      onCommitted,
    });
    const { relay, consumer, stuckAfterMs } = plumbing;
    const connection = plumbing.redis;
    return {
      clock,
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
  } catch (error) {
    database?.close();
    await redis.stop();
    dir.remove();
    throw error;
  }
}

/** Verifies tokens with `key` at the app's clock's time. */
export const authenticatorOf = (key: Parameters<typeof createAuthenticator>[0], clock: TestClock) =>
  createAuthenticator(key, { now: clock.now });

function countRows(db: Db, tables: Record<string, SQLiteTable>): Record<string, number> {
  const count = (table: SQLiteTable) => db.select({ n: sql<number>`count(*)` }).from(table).get()?.n ?? 0;
  return Object.fromEntries(Object.entries(tables).map(([name, table]) => [name, count(table)]));
}

/**
 * An in-process app over its resources: requests through `app.handle`, tokens, the footprint a rejected
 * request must leave unchanged (the rows of `tables`, the outbox, the stream), and close().
 */
export function appHarness(
  resources: AppResources,
  app: { handle(request: Request): Promise<Response> },
  tables: Record<string, SQLiteTable>,
) {
  const { clock, database, relay, redis, streamKey, signingKey, consumer } = resources;
  let otherKey: Promise<SigningKey> | undefined;
  const self = {
    ...resources,
    /** An in-process request through `app.handle`. */
    async call(method: string, path: string, options: Send = {}): Promise<Reply> {
      const headers: Record<string, string> = { ...options.headers };
      if (options.authorization !== undefined) headers.authorization = options.authorization;
      let body = options.body;
      if (options.json !== undefined) {
        body = JSON.stringify(options.json);
        headers["content-type"] ??= "application/json";
      }
      return replyOf(await app.handle(new Request(`http://localhost${path}`, { method, headers, body })));
    },
    /** The Authorization header showing `problem` to this app. */
    async badAuthorization(problem: AuthProblem): Promise<string | undefined> {
      otherKey ??= signingKeyIn(join(resources.dir.path, "other-signing-keys.json"));
      return badAuthorization(problem, { trusted: signingKey, other: await otherKey, at: clock.now() });
    },
    /** `Bearer <token>` for `username`, signed with the app's key at the clock's time. */
    async bearer(username: string): Promise<string> {
      return `Bearer ${await issueToken(signingKey, username, clock.now(), TOKEN_TTL_SECONDS)}`;
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
        resources.connection.disconnect();
        database.close();
        await redis.stop();
        resources.dir.remove();
      }
    },
  };
  return self;
}
