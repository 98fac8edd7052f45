import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join, normalize } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

/**
 * The layers of docs/architecture.md, lowest first: a folder imports only from its own layer's folder
 * and the layers below it. Within a layer, folders do not import each other.
 */
const LAYERS: readonly (readonly string[])[] = [
  ["shared/events", "shared/process"],
  ["shared/sqlite", "shared/stream"],
  ["shared/outbox"],
  ["shared/projection"],
  ["shared/http"],
  ["shared/service"],
  ["customers", "accounts"],
];

/** The folder of LAYERS a repository path belongs to, or undefined outside them. */
function groupOf(path: string): string | undefined {
  return LAYERS.flat().find((group) => path === group || path.startsWith(`${group}/`));
}

const layerOf = (group: string) => LAYERS.findIndex((layer) => layer.includes(group));

/** Each relative import of a file, as the repository path it names (without its extension). */
function importsOf(path: string, text: string): string[] {
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)];
  return specifiers.map((match) => normalize(join(dirname(path), match[1] as string)));
}

/** The imports of `files` that break the layering, as "importer -> imported". */
function violations(files: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [path, text] of Object.entries(files)) {
    const from = groupOf(path);
    if (from === undefined) continue;
    for (const target of importsOf(path, text)) {
      const to = groupOf(target);
      const allowed = to === from || (to !== undefined && layerOf(to) < layerOf(from));
      if (!allowed) found.push(`${path} -> ${target}`);
    }
  }
  return found;
}

const sources = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((path) => path.endsWith(".ts") && groupOf(path) !== undefined);

describe("dependencies point the way docs/architecture.md draws them", () => {
  test("every import of shared/, customers/ and accounts/ goes to its own folder or a layer below", () => {
    const files = Object.fromEntries(sources.map((path) => [path, readFileSync(join(ROOT, path), "utf8")]));
    expect(violations(files)).toEqual([]);
  });

  test("the check refuses a service importing the other, shared/ importing a service, and a layer importing up", () => {
    expect(
      violations({
        "customers/routes.ts": 'import { x } from "../accounts/store";',
        "shared/http/health.ts": 'import { x } from "../../customers/store";',
        "shared/events/wire.ts": 'import { x } from "../stream/redis";',
        "shared/sqlite/db.ts": 'import { x } from "../stream/redis";',
        "shared/stream/redis.ts": 'import { x } from "../../scripts/ops/cli";',
      }),
    ).toEqual([
      "customers/routes.ts -> accounts/store",
      "shared/http/health.ts -> customers/store",
      "shared/events/wire.ts -> shared/stream/redis",
      "shared/sqlite/db.ts -> shared/stream/redis",
      "shared/stream/redis.ts -> scripts/ops/cli",
    ]);
  });

  test("the check lets a folder import itself and the layers below it", () => {
    expect(
      violations({
        "customers/routes.ts": 'import { x } from "./store";\nimport { y } from "../shared/http/paging";',
        "accounts/revenue/handler.ts": 'import { x } from "../tables";',
        "shared/service/startup.ts": 'import { x } from "../http/metrics";',
        "shared/projection/entry.ts": 'import type { X } from "../outbox/table";',
      }),
    ).toEqual([]);
  });
});
