import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/**
 * Makes sure one process at a time serves a service from a data directory: two relays would publish
 * the same outbox rows and two consumers race on one checkpoint. A lock left by a dead process is taken
 * over. Returns the release function.
 */
export function acquireInstanceLock(dataDir: string, service: string): () => void {
  const path = join(dataDir, `${service}.pid`);
  makeDirectories(dataDir);
  // An existing directory keeps the mode it was made with; the data in it is for this user only.
  chmodSync(dataDir, 0o700);
  try {
    writeFileSync(path, String(process.pid), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    const holder = Number(readFileSync(path, "utf8"));
    if (holder !== process.pid && isRunning(holder, service)) {
      throw new Error(`another ${service} process (pid ${holder}) is using ${dataDir}; stop it first`);
    }
    writeFileSync(path, String(process.pid), { mode: 0o600 });
  }
  return () => {
    if (readFileSync(path, "utf8") === String(process.pid)) unlinkSync(path);
  };
}

// Node.js's recursive mkdirSync never returns for a path under /proc (it retries forever); made one level
// at a time, such a path fails with ENOENT like anywhere else.
function makeDirectories(path: string): void {
  if (existsSync(path)) return;
  if (dirname(path) !== path) makeDirectories(dirname(path));
  try {
    mkdirSync(path, { mode: 0o700 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}

function isRunning(pid: number, service: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A reused pid belongs to some other program: on Linux its command line tells.
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(`${service}/main.ts`);
  } catch {
    return true;
  }
}
