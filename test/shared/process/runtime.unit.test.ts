import { describe, expect, test } from "bun:test";
import { BUN_ASSUMED_RAM_BYTES, serviceEnvironment } from "../../../shared/process/runtime";

describe("serviceEnvironment", () => {
  test("under Bun, tells JavaScriptCore to size its heap for 512 MiB", () => {
    expect(serviceEnvironment("bun", {})).toEqual({ BUN_JSC_forceRAMSize: String(512 * 1024 * 1024) });
    expect(BUN_ASSUMED_RAM_BYTES).toBe(536_870_912);
  });

  test("an operator's own setting wins", () => {
    expect(serviceEnvironment("bun", { BUN_JSC_forceRAMSize: "1073741824" })).toEqual({});
  });

  test.each(["node", "deno"] as const)("under %s, adds nothing (V8 sizes its own heap)", (runtime) => {
    expect(serviceEnvironment(runtime, {})).toEqual({});
  });
});
