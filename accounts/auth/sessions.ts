import { createHash, randomBytes } from "node:crypto";
import { and, eq, isNotNull, isNull, lt, ne } from "drizzle-orm";
import type { Db } from "../../shared/sqlite/db";
import { refreshTokens } from "../tables";

export type RefreshOutcome =
  | { kind: "refreshed"; username: string; session: Session }
  | { kind: "invalid" }
  | { kind: "reused"; username: string };

/** A refresh token as handed to the client, and when its login ends. */
export type Session = { refreshToken: string; expiresAt: string };

export type SessionStore = ReturnType<typeof createSessionStore>;

export function createSessionStore(db: Db, ttlSeconds: number) {
  return {
    ttlSeconds,

    /** A new refresh token for a login (a new family); expired rows of the user are cleared on the way. */
    start(username: string, now: Date): Session {
      return db.transaction((tx) => {
        tx.delete(refreshTokens)
          .where(and(eq(refreshTokens.username, username), lt(refreshTokens.expiresAt, now.toISOString())))
          .run();
        const expiresAt = new Date(now.getTime() + ttlSeconds * 1000).toISOString();
        return {
          refreshToken: issue(tx, username, randomBytes(16).toString("hex"), now, expiresAt),
          expiresAt,
        };
      });
    },

    /** Swaps a live refresh token for a new one; a replaced one revokes its family (theft detected). */
    refresh(token: string, now: Date): RefreshOutcome {
      return db.transaction((tx) => refreshIn(tx, token, now));
    },

    /** Logout: revokes the token's family; an unknown token changes nothing. */
    end(token: string, now: Date): void {
      db.transaction((tx) => {
        const row = findToken(tx, token);
        if (row) revokeFamily(tx, row.familyId, now);
      });
    },

    /** Every session of a user, e.g. after a password change. */
    endAllOf(username: string, now: Date): void {
      db.update(refreshTokens)
        .set({ revokedAt: now.toISOString() })
        .where(and(eq(refreshTokens.username, username), isNull(refreshTokens.revokedAt)))
        .run();
    },
  };
}

function refreshIn(tx: Db, token: string, now: Date): RefreshOutcome {
  const row = findToken(tx, token);
  if (!row || row.expiresAt <= now.toISOString()) return { kind: "invalid" };
  if (row.revokedAt !== null) {
    revokeFamily(tx, row.familyId, now);
    return { kind: "reused", username: row.username };
  }
  tx.update(refreshTokens)
    .set({ revokedAt: now.toISOString() })
    .where(eq(refreshTokens.tokenHash, row.tokenHash))
    .run();
  // Only the token just used is kept among the used ones: replaying it is what reveals a theft
  // (a thief or the client being one step behind); older ones are simply unknown from now on.
  tx.delete(refreshTokens)
    .where(
      and(
        eq(refreshTokens.familyId, row.familyId),
        isNotNull(refreshTokens.revokedAt),
        ne(refreshTokens.tokenHash, row.tokenHash),
      ),
    )
    .run();
  // The family keeps the expiry of its login: refreshing never extends a session past it.
  const refreshToken = issue(tx, row.username, row.familyId, now, row.expiresAt);
  return { kind: "refreshed", username: row.username, session: { refreshToken, expiresAt: row.expiresAt } };
}

function findToken(tx: Db, token: string) {
  return tx
    .select()
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashOf(token)))
    .get();
}

function issue(tx: Db, username: string, familyId: string, now: Date, expiresAt: string): string {
  const token = randomBytes(32).toString("base64url");
  tx.insert(refreshTokens)
    .values({ tokenHash: hashOf(token), familyId, username, issuedAt: now.toISOString(), expiresAt })
    .run();
  return token;
}

function revokeFamily(tx: Db, familyId: string, now: Date): void {
  tx.update(refreshTokens)
    .set({ revokedAt: now.toISOString() })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)))
    .run();
}

function hashOf(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}
