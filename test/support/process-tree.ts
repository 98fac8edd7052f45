import { readdirSync, readFileSync } from "node:fs";

/** A process as /proc shows it. */
export type ProcessInfo = { pid: number; ppid: number; state: string; command: string };

function processInfo(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may hold spaces: the fields after it are split safely.
    const [state = "", ppid = "0"] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    return { pid, ppid: Number(ppid), state, command };
  } catch {
    return null;
  }
}

/** Every process now, from /proc. */
function allProcesses(): ProcessInfo[] {
  return readdirSync("/proc")
    .filter((entry) => /^[0-9]+$/.test(entry))
    .map((entry) => processInfo(Number(entry)))
    .filter((info): info is ProcessInfo => info !== null);
}

/** `pid` and all its descendants, parents before their children. */
export function processTree(pid: number): ProcessInfo[] {
  const all = allProcesses();
  const root = all.find((info) => info.pid === pid);
  if (!root) return [];
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    const parent = tree[i] as ProcessInfo;
    tree.push(...all.filter((info) => info.ppid === parent.pid));
  }
  return tree;
}

/** Whether a process still runs: there, and not a zombie waiting for its parent to reap it. */
export function isRunning(pid: number): boolean {
  const info = processInfo(pid);
  return info !== null && info.state !== "Z" && info.state !== "X";
}
