// The entry of npm start and npm test (package.json runs it with `exec`, so npm's signals reach it): the
// set-up check (scripts/setup.mjs), then the command after `--` as its child, in a process group of its
// own. SIGINT, SIGTERM and SIGHUP are passed on to that whole group (a shell in it, like npm test's
// scripts/test.sh, would otherwise hold a SIGINT back until its command ends); if npm dies without
// passing anything (SIGKILL), the group is told to stop; this process exits with the child's exit code.
// Plain Node.js: it runs before Bun is installed.
//
//   node scripts/run.mjs start|test -- COMMAND [ARGUMENTS...]
import { spawn } from "node:child_process";
import { ensureSetUp, PURPOSES } from "./setup.mjs";

const [purpose, separator, command, ...args] = process.argv.slice(2);
if (!PURPOSES.includes(purpose) || separator !== "--" || command === undefined) {
  console.error("usage: node scripts/run.mjs start|test -- COMMAND [ARGUMENTS...]");
  process.exit(2);
}

try {
  if (!(await ensureSetUp(purpose))) process.exit(1);
} catch (error) {
  console.error(`setup: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// The child (scripts/start.ts) stops everything it started if this process dies without telling it.
const env = { ...process.env, STREAMLEDGER_PARENT_PID: String(process.pid) };
const child = spawn(command, args, { stdio: "inherit", env, detached: true });
const signalAll = (signal) => {
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal); // the group is gone; the child may still be there
  }
};
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(signal, () => signalAll(signal));

const parent = process.ppid;
if (parent > 1) {
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    signalAll("SIGTERM");
  }, 250);
  watch.unref();
}

child.on("error", (error) => {
  console.error(`run: cannot run ${command}: ${error.message}`);
  process.exit(127);
});
child.on("exit", (code, signal) => process.exit(code ?? (signal === "SIGINT" ? 130 : 1)));
