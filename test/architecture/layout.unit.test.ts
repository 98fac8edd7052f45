import { describe, expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import ts from "typescript";

const ROOT = join(import.meta.dir, "..", "..");
const MAX_FILE_LINES = 300;
const MAX_FUNCTION_LINES = 100;

const tracked = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
  cwd: ROOT,
  encoding: "utf8",
})
  .split("\n")
  .filter((path) => path !== "");
const sources = tracked.filter((path) => /\.(ts|mjs)$/.test(path) && !path.startsWith("node_modules/"));
const testFiles = tracked.filter((path) => path.endsWith(".test.ts"));
const TIERS = ["unit", "int", "sys"] as const;

/** Where test code may wait on a timer, and why; nowhere else does a test sleep to let time pass. */
const TIMERS_ALLOWED: Record<string, string> = {
  "test/support/resources.ts": "eventually() polls its condition between checks",
  "test/shared/sqlite/db.int.test.ts":
    "another process holds its lock a while, as a monitoring script's query would",
};

/**
 * Every function (declaration, expression, arrow, method) longer than `max` lines in one file's text; a
 * `describe` block's body only groups tests, and is not counted.
 */
function longFunctions(path: string, text: string, max: number): string[] {
  const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && "body" in node && node.body && !isDescribeBody(node)) {
      const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line;
      const end = file.getLineAndCharacterOfPosition(node.getEnd()).line;
      if (end - start + 1 > max) found.push(`${path}:${start + 1} (${end - start + 1} lines)`);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

function isDescribeBody(node: ts.Node): boolean {
  const call = node.parent;
  return (
    call !== undefined &&
    ts.isCallExpression(call) &&
    /^describe(\.\w+)?$/.test(call.expression.getText()) &&
    call.arguments.includes(node as ts.Expression)
  );
}

describe("the tree shows the architecture", () => {
  test("shared/ keeps its code in concern folders: at most 6 loose files at its top", () => {
    const loose = tracked.filter((path) => /^shared\/[^/]+$/.test(path));
    expect(loose.length).toBeLessThanOrEqual(6);
  });

  test(`no source or test file is over ${MAX_FILE_LINES} lines`, () => {
    const long = sources
      .map((path) => ({ path, lines: readFileSync(join(ROOT, path), "utf8").split("\n").length - 1 }))
      .filter(({ lines }) => lines > MAX_FILE_LINES)
      .map(({ path, lines }) => `${path} (${lines} lines)`);
    expect(long).toEqual([]);
  });

  test(`no function (a describe block's body aside) is over ${MAX_FUNCTION_LINES} lines`, () => {
    const long = sources.flatMap((path) =>
      longFunctions(path, readFileSync(join(ROOT, path), "utf8"), MAX_FUNCTION_LINES),
    );
    expect(long).toEqual([]);
  });

  test("the length check sees a long function wherever it is written", () => {
    const body = Array.from({ length: MAX_FUNCTION_LINES }, (_, i) => `  const a${i} = ${i};`).join("\n");
    const shapes = [
      `function f() {\n${body}\n}`,
      `const f = () => {\n${body}\n};`,
      `const o = { m() {\n${body}\n} };`,
      `app.get("/", async () => {\n${body}\n});`,
    ];
    for (const shape of shapes) expect(longFunctions("x.ts", shape, MAX_FUNCTION_LINES)).toHaveLength(1);
    expect(longFunctions("x.ts", "function f() {\n  return 1;\n}", MAX_FUNCTION_LINES)).toEqual([]);
    expect(longFunctions("x.ts", `describe("x", () => {\n${body}\n});`, MAX_FUNCTION_LINES)).toEqual([]);
  });
});

describe("the tests show their tier and do not sleep", () => {
  test("every test file lives under test/ and names its tier: .unit, .int (.property.int) or .sys", () => {
    const misplaced = testFiles.filter((path) => !path.startsWith("test/"));
    const untiered = testFiles.filter((path) => !TIERS.some((tier) => path.endsWith(`.${tier}.test.ts`)));
    expect({ misplaced, untiered }).toEqual({ misplaced: [], untiered: [] });
  });

  test("the test:unit, test:int and test:sys scripts together run every test file exactly once", () => {
    const { scripts } = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const filters = TIERS.map((tier) => {
      const script = scripts[`test:${tier}`] ?? "";
      expect(script).toContain("bun test");
      return script.split(" ").at(-1) ?? "";
    });
    const runs = testFiles.map((path) => ({
      path,
      by: filters.filter((filter) => path.includes(filter)).length,
    }));
    expect(runs.filter(({ by }) => by !== 1)).toEqual([]);
  });

  test("no test code waits on a timer to let time pass (an injected clock or eventually() instead)", () => {
    const timers = /\b(Bun\.sleep|Bun\.sleepSync|setTimeout|setInterval)\(/;
    const waiting = tracked
      .filter((path) => path.startsWith("test/") && path.endsWith(".ts") && !(path in TIMERS_ALLOWED))
      .filter((path) => timers.test(readFileSync(join(ROOT, path), "utf8")));
    expect(waiting).toEqual([]);
  });
});
