import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { AccountView } from "./api";

/**
 * Stream entries and HTTP shapes captured from the legacy system this project replaces (a copy of the
 * team's reference capture, kept in the repo so the interop tests run from any clone).
 */
export type LegacyWire = {
  stream: string;
  entries_as_written_by_legacy_customers_service: { fields: Record<string, string> }[];
  legacy_http: { "GET /accounts": { response: AccountView[] } };
};

export function legacyWire(): LegacyWire {
  return JSON.parse(
    readFileSync(join(import.meta.dir, "..", "fixtures", "legacy-wire.json"), "utf8"),
  ) as LegacyWire;
}
