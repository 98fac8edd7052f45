import { readFileSync } from "node:fs";
import { join } from "node:path";
import { type ProcessInfo, processTree } from "./process-tree";
import { eventually, freePort, tempDir } from "./resources";
import { SERVICE_RUNTIME } from "./services";

const ROOT = join(import.meta.dir, "..", "..");

/** The npm script that runs the system on SERVICE_RUNTIME, as README gives it. */
export const START_SCRIPT = { bun: "start", node: "start:node", deno: "start:deno" }[SERVICE_RUNTIME];

/** The processes of a running `npm start`, by their job. */
export type StartTree = {
  npm: ProcessInfo;
  runner: ProcessInfo;
  start: ProcessInfo;
  redis: ProcessInfo;
  watchdog: ProcessInfo;
  accounts: ProcessInfo;
  customers: ProcessInfo;
};

export type NpmStart = {
  child: ReturnType<typeof Bun.spawn>;
  ports: { accounts: number; customers: number; redis: number };
  dataDir: string;
  env: Record<string, string>;
  /** stdout and stderr so far. */
  output(): Promise<string>;
};

/**
 * Runs `npm start` (start:node, start:deno for SERVICE_RUNTIME) as a user would, in a process group of
 * its own (so a test can send what a terminal's Ctrl-C sends), on free ports and a fresh DATA_DIR.
 */
export function npmStart(env: Record<string, string> = {}, dataDir?: string): NpmStart {
  const dir = dataDir ?? tempDir("streamledger-start-").path;
  const ports = { accounts: freePort(), customers: freePort(), redis: freePort() };
  const fullEnv = {
    DATA_DIR: dir,
    ACCOUNTS_PORT: String(ports.accounts),
    CUSTOMERS_PORT: String(ports.customers),
    ACCOUNTS_URL: `http://127.0.0.1:${ports.accounts}`,
    LOCAL_REDIS_PORT: String(ports.redis),
    LOG_LEVEL: "warn",
    REDIS_URL: "",
    ...env,
  };
  const child = Bun.spawn(["npm", "run", "--silent", START_SCRIPT], {
    cwd: ROOT,
    env: { ...process.env, ...fullEnv },
    stdout: "pipe",
    stderr: "pipe",
    detached: true,
  });
  const texts = [new Response(child.stdout).text(), new Response(child.stderr).text()];
  let collected = "";
  void Promise.all(texts).then(([out, err]) => {
    collected = `${out}${err}`;
  });
  return {
    child,
    ports,
    dataDir: dir,
    env: fullEnv,
    async output() {
      await child.exited;
      await Promise.all(texts);
      return collected;
    },
  };
}

/** Finds each process of the tree by its command line. */
function treeOf(npmPid: number): StartTree | undefined {
  const tree = processTree(npmPid);
  const find = (pattern: RegExp) => tree.find((info) => pattern.test(info.command));
  const found = {
    npm: tree[0],
    runner: find(/scripts\/run\.mjs/),
    start: find(/scripts\/start\.ts/),
    redis: find(/redis-server/),
    watchdog: find(/redis-watchdog/),
    accounts: find(/accounts\/main\.ts/),
    customers: find(/customers\/main\.ts/),
  };
  return Object.values(found).every(Boolean) ? (found as StartTree) : undefined;
}

/** Waits until both services answer /health, and returns the tree's processes. */
export async function runningTree(started: NpmStart): Promise<StartTree> {
  const { ports, child } = started;
  await eventually(
    "both services to answer /health",
    async () => {
      if (child.exitCode !== null) throw new Error(`npm start exited:\n${await started.output()}`);
      const replies = await Promise.all(
        [ports.accounts, ports.customers].map((port) => fetch(`http://127.0.0.1:${port}/health`)),
      );
      return replies.every((reply) => reply.ok);
    },
    60_000,
  );
  return eventually("the tree's processes", () => treeOf(child.pid));
}

/** The pids in the services' instance lock files under `dataDir` (none once both let go). */
export function lockHolders(dataDir: string): number[] {
  return ["accounts", "customers"].flatMap((service) => {
    try {
      return [Number(readFileSync(join(dataDir, `${service}.pid`), "utf8"))];
    } catch {
      return [];
    }
  });
}
