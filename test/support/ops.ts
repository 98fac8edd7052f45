import { join } from "node:path";
import { serviceCommand } from "./services";

const ROOT = join(import.meta.dir, "..", "..");

export type Ops = { code: number; stdout: string; stderr: string };

/**
 * Runs `scripts/ops.ts` as an operator would, under SERVICE_RUNTIME like the services, with the services'
 * environment; `stdin` is piped in.
 */
export async function runOps(
  env: Record<string, string>,
  args: string[],
  options: { stdin?: string; env?: Record<string, string> } = {},
): Promise<Ops> {
  const { OPS_PASSWORD: _inherited, ...inherited } = process.env;
  const child = Bun.spawn([...serviceCommand(join(ROOT, "scripts", "ops.ts")), ...args], {
    env: { ...inherited, ...env, ...options.env },
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code, stdout, stderr };
}
