/** The JavaScript runtimes the services run on from the same code. */
export type Runtime = "bun" | "node" | "deno";

/** The runtime executing this process (Deno and Bun announce themselves with a global; else Node.js). */
export function currentRuntime(): Runtime {
  if ("Bun" in globalThis) return "bun";
  if ("Deno" in globalThis) return "deno";
  return "node";
}
