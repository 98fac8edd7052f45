import { setInterval } from "node:timers";

/**
 * The variable a launcher (npm start's, scripts/start.ts, the test harness) sets to its own pid for the
 * processes it starts: such a process stops, as on SIGTERM, once that launcher is no longer its parent.
 * Opt-in, so a service started by hand from a shell that then exits keeps running.
 */
export const PARENT_PID_VARIABLE = "STREAMLEDGER_PARENT_PID";

/** How often the parent is checked: well inside any shutdown grace period, and a syscall each time. */
export const PARENT_CHECK_MS = 250;

/** The launcher's pid as `env` names it; undefined when the process was not started by one. */
export function launcherPidOf(env: Record<string, string | undefined>): number | undefined {
  const value = Number(env[PARENT_PID_VARIABLE]);
  return Number.isInteger(value) && value > 1 ? value : undefined;
}

/**
 * Calls `onGone` once when this process's parent is no longer `parentPid`: it died (even by SIGKILL,
 * which it cannot announce) and the process was handed to init or a subreaper. Polling the parent pid
 * works the same on Bun, Node.js and Deno, where prctl's parent-death signal is not available. The timer
 * does not keep the process alive. Returns a function that stops watching.
 */
export function watchParent(parentPid: number, onGone: () => void): () => void {
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    onGone();
  }, PARENT_CHECK_MS);
  timer.unref();
  return () => clearInterval(timer);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Calls `stop` once the launcher named by `env` is gone (see watchParent); does nothing for a process no
 * launcher started. A launcher that is alive but not the parent set the variable for a process further up,
 * which passed it on (a test runner's environment): not this process's to watch. A launcher already dead
 * died before this process could start watching it.
 */
export function stopWithLauncher(env: Record<string, string | undefined>, stop: () => void): void {
  const launcher = launcherPidOf(env);
  if (launcher === undefined) return;
  if (process.ppid === launcher) watchParent(launcher, stop);
  else if (!isAlive(launcher)) stop();
}

/** Stops as SIGTERM would: through the process's own handler (a graceful drain). */
export const stopAsOnSigterm = () => void process.kill(process.pid, "SIGTERM");
