import { describe, expect, test } from "bun:test";
import { cpSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { changesOf, openDatabase } from "../../../shared/sqlite/db";
import { cleanupAfterEach } from "../../support/lifecycle";
import { tempDir } from "../../support/resources";

const ROOT = join(import.meta.dir, "..", "..", "..");
const cleanups = cleanupAfterEach();

type Journal = { entries: { tag: string }[] };

/** A copy of a service's migrations folder holding only those up to (not including) `before`. */
function migrationsBefore(service: string, before: string): string {
  const dir = tempDir("streamledger-migrations-");
  cleanups.push(dir.remove);
  cpSync(join(ROOT, "migrations", service), dir.path, { recursive: true });
  const journalPath = join(dir.path, "meta", "_journal.json");
  const journal = JSON.parse(readFileSync(journalPath, "utf8")) as Journal;
  const index = journal.entries.findIndex((entry) => entry.tag === before);
  expect(index).toBeGreaterThan(0);
  writeFileSync(journalPath, JSON.stringify({ ...journal, entries: journal.entries.slice(0, index) }));
  return dir.path;
}

describe.each(["accounts", "customers"])("the %s database, upgraded", (service) => {
  test("0004 rebuilds processed_events keyed by EventId alone (WITHOUT ROWID), keeping every row", () => {
    const dir = tempDir("streamledger-upgrade-");
    cleanups.push(dir.remove);
    const path = join(dir.path, `${service}.sqlite`);
    const old = openDatabase(path, migrationsBefore(service, "0004_processed_events_without_rowid"));
    old.db.run(sql`INSERT INTO processed_events VALUES ('event-b', '2-0'), ('event-a', '1-0')`);
    expect(old.db.all(sql`SELECT rowid FROM processed_events`)).toHaveLength(2);
    old.close();

    const upgraded = openDatabase(path, join(ROOT, "migrations", service));
    cleanups.push(upgraded.close);

    expect(upgraded.db.all(sql`SELECT event_id, stream_id FROM processed_events ORDER BY event_id`)).toEqual([
      { event_id: "event-a", stream_id: "1-0" },
      { event_id: "event-b", stream_id: "2-0" },
    ]);
    const [table] = upgraded.db.all<{ sql: string }>(
      sql`SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'processed_events'`,
    );
    expect(table?.sql).toMatch(/PRIMARY KEY NOT NULL,\s*`stream_id` text NOT NULL\s*\) WITHOUT ROWID$/);
    const again = upgraded.db.run(
      sql`INSERT INTO processed_events VALUES ('event-a', '3-0') ON CONFLICT DO NOTHING`,
    );
    expect(changesOf(again)).toBe(0);
  });
});
