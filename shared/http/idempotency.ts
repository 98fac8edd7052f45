import { createHash } from "node:crypto";
import { and, eq, lt, sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Db } from "../sqlite/db";
import { ValidationError } from "./errors";

/** The first response to each (user, Idempotency-Key), replayed for a retry of the same request. */
export const idempotencyKeys = sqliteTable(
  "idempotency_keys",
  {
    username: text("username").notNull(),
    key: text("key").notNull(),
    route: text("route").notNull(),
    requestHash: text("request_hash").notNull(),
    status: integer("status").notNull(),
    body: text("body", { mode: "json" }).$type<unknown>().notNull(),
    createdAt: text("created_at").notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.username, table.key] }),
    index("idempotency_keys_created_at").on(table.createdAt),
  ],
);

export type IdempotencyKey = { username: string; key: string; route: string; requestHash: string };
export type StoredReply = { status: number; body: unknown };

/** A write's reply once committed: `replayed` when it is the stored reply of a key seen before. */
export type CommittedReply = StoredReply & { replayed: boolean };

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Keys are kept this long; a retry after that is a new request. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * Reads the Idempotency-Key header of a write; null when absent. The key is scoped to the user, and
 * bound to the route and the validated request, so reusing it for another request is refused.
 */
export function idempotencyKeyOf(
  header: string | undefined,
  username: string,
  route: string,
  request: unknown,
): IdempotencyKey | null {
  if (header === undefined) return null;
  if (!KEY_PATTERN.test(header)) {
    throw new ValidationError(
      { "Idempotency-Key": ["must be 1 to 255 visible ASCII characters"] },
      "the Idempotency-Key header is malformed",
      400,
    );
  }
  const requestHash = createHash("sha256").update(JSON.stringify(request)).digest("hex");
  return { username, key: header, route, requestHash };
}

/**
 * Runs a write in one immediate transaction with its idempotency record: a key seen before returns the
 * first reply and writes nothing; a key seen with another request is refused (422).
 */
export function commitOnce(
  db: Db,
  key: IdempotencyKey | null,
  now: Date,
  write: (tx: Db) => StoredReply,
): CommittedReply {
  const statements = prepareIdempotency(db);
  return db.transaction((tx) => writeOnce(statements, tx, key, now, write), { behavior: "immediate" });
}

export type IdempotencyStatements = ReturnType<typeof prepareIdempotency>;

/** The idempotency record's statements, prepared on `db` (they run in whatever transaction it has open). */
export function prepareIdempotency(db: Db) {
  const placeholder = sql.placeholder;
  return {
    find: db
      .select()
      .from(idempotencyKeys)
      .where(
        and(
          eq(idempotencyKeys.username, placeholder("username")),
          eq(idempotencyKeys.key, placeholder("key")),
        ),
      )
      .prepare(),
    deleteExpired: db
      .delete(idempotencyKeys)
      .where(lt(idempotencyKeys.createdAt, placeholder("before")))
      .prepare(),
    insert: db
      .insert(idempotencyKeys)
      .values({
        username: placeholder("username"),
        key: placeholder("key"),
        route: placeholder("route"),
        requestHash: placeholder("requestHash"),
        status: placeholder("status"),
        body: placeholder("body"),
        createdAt: placeholder("createdAt"),
      })
      .prepare(),
  };
}

/** commitOnce's work inside a transaction the caller holds (see customers/group-commit.ts). */
export function writeOnce(
  statements: IdempotencyStatements,
  tx: Db,
  key: IdempotencyKey | null,
  now: Date,
  write: (tx: Db) => StoredReply,
): CommittedReply {
  if (key) {
    const prior = statements.find.get({ username: key.username, key: key.key });
    const expired = prior && Date.parse(prior.createdAt) < now.getTime() - IDEMPOTENCY_RETENTION_MS;
    if (prior && !expired) {
      if (prior.route !== key.route || prior.requestHash !== key.requestHash) {
        throw new ValidationError(
          { "Idempotency-Key": ["was already used for a different request"] },
          "this Idempotency-Key was already used for a different request",
        );
      }
      return { status: prior.status, body: prior.body, replayed: true };
    }
  }
  const reply = write(tx);
  if (key) {
    // Expired keys go on the next keyed write, including this key's own earlier use.
    statements.deleteExpired.run({
      before: new Date(now.getTime() - IDEMPOTENCY_RETENTION_MS).toISOString(),
    });
    // A 204 has no body to replay, but the column wants one.
    statements.insert.run({
      ...key,
      status: reply.status,
      body: reply.body ?? {},
      createdAt: now.toISOString(),
    });
  }
  return { ...reply, replayed: false };
}

/** The HTTP response for a committed (or replayed) write. */
export function replyResponse(reply: CommittedReply): Response {
  const headers: Record<string, string> = {};
  if (reply.replayed) headers["idempotent-replayed"] = "true";
  if (reply.status === 204) return new Response(null, { status: 204, headers });
  return Response.json(reply.body, { status: reply.status, headers });
}
