import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { createServer } from "node:net";

/** The process listening on a TCP port, as far as this user can see it. */
export type PortHolder = { pid: number; command: string };

/** Whether `port` can be listened on at `host` now: null when free, else the error's code (EADDRINUSE, EACCES). */
export function portRefusal(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? String(error)));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** The inodes of the sockets listening on `port` (any address), from /proc/net/tcp and tcp6. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const columns = line.trim().split(/\s+/);
      // local_address is ADDRESS:PORT in hex; state 0A is LISTEN; the inode is the tenth column.
      if (columns[1]?.endsWith(`:${hexPort}`) && columns[3] === "0A" && columns[9]) inodes.add(columns[9]);
    }
  }
  return inodes;
}

const COMMAND_WIDTH = 160;

/** The command line of a process on one line, its arguments joined by spaces, cut past COMMAND_WIDTH. */
function commandOf(pid: number): string {
  try {
    const raw = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const line = raw.split("\0").join(" ").replace(/\s+/g, " ").trim();
    return line.length > COMMAND_WIDTH ? `${line.slice(0, COMMAND_WIDTH - 1)}…` : line || "unknown command";
  } catch {
    return "unknown command";
  }
}

/** The process owning one of `inodes` among the /proc/PID/fd links this user may read. */
function ownerOfSockets(inodes: Set<string>): PortHolder | null {
  const wanted = new Set([...inodes].map((inode) => `socket:[${inode}]`));
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process, or gone meanwhile
    }
    for (const fd of fds) {
      try {
        if (wanted.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) {
          return { pid: Number(entry), command: commandOf(Number(entry)) };
        }
      } catch {}
    }
  }
  return null;
}

/** `ss -ltnp`'s answer for the port, where ss is installed. */
function holderFromSs(port: number): PortHolder | null {
  try {
    const out = execFileSync("ss", ["-Hltnp", `sport = :${port}`], { encoding: "utf8", timeout: 2000 });
    const pid = /pid=([0-9]+)/.exec(out)?.[1];
    return pid === undefined ? null : { pid: Number(pid), command: commandOf(Number(pid)) };
  } catch {
    return null;
  }
}

/**
 * Which process listens on `port`: the socket's inode from /proc/net/tcp*, then the process holding it
 * among /proc/PID/fd; `ss -ltnp` when that finds none. Null when neither can tell (another user's
 * process, seen without root; or not Linux).
 */
export function portHolder(port: number): PortHolder | null {
  try {
    const inodes = listeningInodes(port);
    if (inodes.size > 0) {
      const owner = ownerOfSockets(inodes);
      if (owner) return owner;
    }
  } catch {}
  return holderFromSs(port);
}

/**
 * Says why `port` cannot be listened on and how to fix it: the holder's pid and command line when it can
 * be found, and the variable that picks another port.
 */
export function describePortRefusal(options: {
  port: number;
  host: string;
  variable: string;
  code: string;
  /** Other variables to set with the new port (e.g. ACCOUNTS_URL follows ACCOUNTS_PORT). */
  alsoSet?: (port: number) => string;
}): string {
  const { port, host, variable, code } = options;
  const other = port + 1;
  const moveIt = `${variable}=${other}${options.alsoSet ? ` ${options.alsoSet(other)}` : ""}`;
  if (code === "EACCES") {
    return `port ${port} (${variable}) on ${host} needs privileges this user lacks; pick a port above 1023: ${moveIt}`;
  }
  if (code !== "EADDRINUSE") return `cannot listen on ${host}:${port} (${variable}): ${code}`;
  const holder = portHolder(port);
  const by = holder
    ? `by pid ${holder.pid} (${holder.command})`
    : "by a process this user cannot see (another user's: `sudo ss -ltnp` names it)";
  const stopIt = holder ? `stop it (kill ${holder.pid})` : "stop that process";
  return `port ${port} (${variable}) on ${host} is already in use ${by}. Fix: ${stopIt}, or use another port: ${moveIt}`;
}
