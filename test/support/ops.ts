import { join } from "node:path";
import { type Output, outputOf } from "./resources";
import { serviceCommand } from "./services";

const ROOT = join(import.meta.dir, "..", "..");

/**
 * Runs `scripts/ops.ts` as an operator would, under SERVICE_RUNTIME like the services, with the services'
 * environment; `stdin` is piped in.
 */
export async function runOps(
  env: Record<string, string>,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Output> {
  const { OPS_PASSWORD: _inherited, ...inherited } = process.env;
  const child = Bun.spawn([...serviceCommand(join(ROOT, "scripts", "ops.ts")), ...args], {
    env: { ...inherited, ...env, ...options.env },
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  return outputOf(child);
}
