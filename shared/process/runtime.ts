import { existsSync, realpathSync } from "node:fs";
import { basename, delimiter, join } from "node:path";
import { pathToFileURL } from "node:url";

/** The JavaScript runtimes the services run on from the same code. */
export type Runtime = "bun" | "node" | "deno";

export const RUNTIMES: readonly Runtime[] = ["bun", "node", "deno"];

/** The runtime executing this process (Deno and Bun announce themselves with a global; else Node.js). */
export function currentRuntime(): Runtime {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return "node";
}

const ROOT = join(import.meta.dirname, "..", "..");

/**
 * The command line that runs the TypeScript file `script` under `runtime`: Bun and Deno run TypeScript
 * themselves (Deno resolving the extensionless imports), Node.js 20 through tsx's loader. Each names the
 * real binary, never a wrapper script, so signals reach the process itself.
 */
export function runtimeCommand(runtime: Runtime, script: string): string[] {
  const binary = runtime === currentRuntime() ? process.execPath : runtimeBinary(runtime);
  switch (runtime) {
    case "bun":
      return [binary, script];
    case "node":
      // tsx by file URL: the loader is found whatever the working directory.
      return [
        binary,
        "--import",
        pathToFileURL(join(ROOT, "node_modules", "tsx", "dist", "loader.mjs")).href,
        script,
      ];
    case "deno":
      return [binary, "run", "--allow-all", "--unstable-sloppy-imports", script];
  }
}

/**
 * Memory JavaScriptCore (Bun's engine) is told the machine has. It sizes its garbage collector's heap
 * from physical memory, so on a 24 GiB machine the garbage of a catch-up over a million events held
 * accounts at 170 MiB of RSS; told 512 MiB, it collects sooner: 135 MiB, at the same catch-up rate.
 */
export const BUN_ASSUMED_RAM_BYTES = 512 * 1024 * 1024;

/**
 * Environment variables a service process starts with under `runtime`, beside its configuration; any
 * already in `env` (the operator's) win.
 */
export function serviceEnvironment(runtime: Runtime, env: NodeJS.ProcessEnv): Record<string, string> {
  if (runtime !== "bun" || env.BUN_JSC_forceRAMSize) return {};
  return { BUN_JSC_forceRAMSize: String(BUN_ASSUMED_RAM_BYTES) };
}

/** Where a runtime's binary is: Bun and Deno from the project's npm packages, Node.js from PATH. */
export function runtimeBinary(runtime: Runtime): string {
  const installed = {
    bun: join(ROOT, "node_modules", "bun", "bin", "bun.exe"),
    deno: join(ROOT, "node_modules", "deno", "deno"),
  };
  if (runtime !== "node") {
    if (!existsSync(installed[runtime])) throw new Error(`${installed[runtime]} is missing: run npm install`);
    return installed[runtime];
  }
  // Under `bun run`, PATH may lead `node` to Bun itself; only a real Node.js will do.
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    if (existsSync(candidate) && !basename(realpathSync(candidate)).startsWith("bun")) return candidate;
  }
  throw new Error("node (Node.js 20+) was not found on PATH");
}

/** The runtime named by `value` (an environment variable), `fallback` when unset. */
export function parseRuntime(value: string | undefined, fallback: Runtime, name: string): Runtime {
  if (value === undefined || value === "") return fallback;
  if ((RUNTIMES as readonly string[]).includes(value)) return value as Runtime;
  throw new Error(`${name} must be one of ${RUNTIMES.join(", ")} (got "${value}")`);
}
