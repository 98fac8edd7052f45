import { describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { cleanupAfterEach } from "../support/lifecycle";
import { lockHolders, type NpmStart, npmStart, runningTree, type StartTree } from "../support/npm-start";
import { isRunning, processTree } from "../support/process-tree";
import { eventually, portIsClosed } from "../support/resources";

const cleanups = cleanupAfterEach();

/** Starts `npm start`; whatever a failed test leaves is SIGKILLed, its data removed. */
async function started(): Promise<{ run: NpmStart; tree: StartTree }> {
  const run = npmStart();
  cleanups.push(() => {
    for (const info of processTree(run.child.pid)) process.kill(info.pid, "SIGKILL");
    rmSync(run.dataDir, { recursive: true, force: true });
  });
  const tree = await runningTree(run);
  cleanups.push(() => {
    for (const info of Object.values(tree)) if (isRunning(info.pid)) process.kill(info.pid, "SIGKILL");
  });
  return { run, tree };
}

/** Every process of the tree is gone (within the services' 10 s grace), its ports free, no lock held. */
async function expectAllStopped(run: NpmStart, tree: StartTree): Promise<void> {
  const processes = Object.entries(tree);
  await eventually(
    "every process of npm start to stop",
    () => processes.every(([, info]) => !isRunning(info.pid)),
    15_000,
  );
  for (const port of Object.values(run.ports)) expect(await portIsClosed(port)).toBe(true);
  expect(lockHolders(run.dataDir).filter(isRunning)).toEqual([]);
}

type Role = keyof StartTree;

describe("npm start stops as a whole", () => {
  const signalled: [Role, NodeJS.Signals][] = [
    ["npm", "SIGINT"],
    ["npm", "SIGTERM"],
    ["runner", "SIGTERM"],
    ["start", "SIGINT"],
    ["start", "SIGTERM"],
    ["accounts", "SIGTERM"],
    ["customers", "SIGINT"],
    ["redis", "SIGTERM"],
  ];
  test.each(signalled)(
    "%s sent %s: every process stops and npm exits 0",
    async (role, signal) => {
      const { run, tree } = await started();
      process.kill(tree[role].pid, signal);
      await expectAllStopped(run, tree);
      expect(await run.child.exited).toBe(0);
    },
    90_000,
  );

  test("Ctrl-C (SIGINT to the terminal's process group): the services drain first, redis-server after", async () => {
    const { run, tree } = await started();
    process.kill(-run.child.pid, "SIGINT");
    await expectAllStopped(run, tree);
    expect(await run.child.exited).toBe(0);
    const output = await run.output();
    expect(output).not.toContain("redis connection lost");
  }, 90_000);

  const killed: Role[] = ["npm", "runner", "start", "accounts", "redis", "watchdog"];
  test.each(killed)(
    "%s SIGKILLed: every other process notices and stops",
    async (role) => {
      const { run, tree } = await started();
      process.kill(tree[role].pid, "SIGKILL");
      await expectAllStopped(run, tree);
    },
    90_000,
  );
});
