import {
  appendFileSync,
  chownSync,
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
} from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { runToExit } from "../../bench/support";
import { eventually, freePort, tempDir } from "./resources";

/** A PostgreSQL server of the test's own, on a free loopback port, trust auth for user postgres. */
export type PrivatePostgres = {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Shuts down (fast: open connections are ended) if running, then starts on the same port and data. */
  restart(): Promise<void>;
  /** SIGKILL of the postmaster, as a crash; resolves once it and its processes have exited. */
  kill(): Promise<void>;
  /** Stops the server and removes its directory. */
  stop(): Promise<void>;
};

const SERVER_USER = "postgres";
const runningAsRoot = process.getuid?.() === 0;

function serverBinaries(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((version) => /^\d+$/.test(version) && existsSync(join(root, version, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  const [newest] = versions;
  if (!newest) {
    throw new Error(`no PostgreSQL server under ${root}/<version>/bin: install Debian's postgresql package`);
  }
  return join(root, newest, "bin");
}

// initdb and postgres refuse to run as root, so as root they run as the postgres system user.
function asServerUser(command: string[]): string[] {
  return runningAsRoot ? ["runuser", "-u", SERVER_USER, "--", ...command] : command;
}

async function mustRun(command: string[]): Promise<void> {
  const { code, stdout, stderr } = await runToExit(asServerUser(command));
  if (code !== 0) throw new Error(`${command.join(" ")} failed (${code}): ${stdout}${stderr}`);
}

function idOf(flag: "-u" | "-g"): number {
  const result = Bun.spawnSync(["id", flag, SERVER_USER]);
  if (result.exitCode !== 0) throw new Error(`no ${SERVER_USER} system user to run PostgreSQL as`);
  return Number(result.stdout.toString().trim());
}

/** The text of /proc/<pid>/stat, or null once the process is gone. */
function procStat(pid: number): string | null {
  // A process may exit between listing /proc and reading its file.
  try {
    return readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
}

/** State and parent of a process, from the fields after the command name (which may hold spaces). */
function stateAndParent(pid: number): { state: string; parent: number } | null {
  const stat = procStat(pid);
  if (stat === null) return null;
  const [state = "", parent] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { state, parent: Number(parent) };
}

function childrenOf(pid: number): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((candidate) => stateAndParent(candidate)?.parent === pid);
}

function hasExited(pid: number): boolean {
  const entry = stateAndParent(pid);
  return entry === null || entry.state === "Z";
}

const readyWithinMs = 60_000;

/**
 * Runs the postmaster as a child of this process (through runuser as root) rather than daemonized by
 * pg_ctl: a daemonized postmaster is reaped by PID 1, which here reaps late, and a SIGKILLed postmaster
 * left a zombie looks alive to pg_ctl and to the next postmaster's lock-file check.
 */
async function launchPostmaster(
  bin: string,
  data: string,
  port: number,
  logFile: string,
): Promise<Subprocess> {
  const log = openSync(logFile, "a");
  const child = Bun.spawn(asServerUser([join(bin, "postgres"), "-D", data]), { stdout: log, stderr: log });
  closeSync(log);
  const outcome = await eventually(
    `PostgreSQL on port ${port} to accept connections (log: ${logFile})`,
    async () => {
      if (child.exitCode !== null || child.signalCode !== null) return "exited";
      const probe = Bun.spawn([
        join(bin, "pg_isready"),
        "-q",
        "-h",
        "127.0.0.1",
        "-p",
        String(port),
        "-U",
        "postgres",
      ]);
      return (await probe.exited) === 0 ? "ready" : undefined;
    },
    readyWithinMs,
    100,
  );
  if (outcome === "exited") throw new Error(`PostgreSQL on port ${port} exited at start; see ${logFile}`);
  return child;
}

/**
 * Starts a PostgreSQL server of the test's own: initdb in a temp dir (owned by the postgres user when
 * running as root), then the server on a free port, listening on 127.0.0.1 and a socket in that dir.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = serverBinaries();
  const dir = tempDir("streamledger-pg-");
  const data = join(dir.path, "data");
  const logFile = join(dir.path, "server.log");
  const port = freePort();
  let server: Subprocess | null = null;
  try {
    if (runningAsRoot) chownSync(dir.path, idOf("-u"), idOf("-g"));
    await mustRun([
      join(bin, "initdb"),
      "-D",
      data,
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--no-sync",
    ]);
    const settings = [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${dir.path}'`,
    ];
    appendFileSync(join(data, "postgresql.conf"), `\n${settings.join("\n")}\n`);
    server = await launchPostmaster(bin, data, port, logFile);
  } catch (error) {
    dir.remove();
    throw error;
  }
  const postmasterPid = () => Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
  // SIGINT is PostgreSQL's fast shutdown (ends open connections), SIGQUIT its immediate one.
  const shutDown = async (signal: "SIGINT" | "SIGQUIT") => {
    const running = server;
    server = null;
    if (!running) return;
    process.kill(postmasterPid(), signal);
    await running.exited;
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    async restart() {
      await shutDown("SIGINT");
      server = await launchPostmaster(bin, data, port, logFile);
    },
    async kill() {
      const running = server;
      server = null;
      if (!running) return;
      const postmaster = postmasterPid();
      // Its children outlive it for a moment and hold its shared memory: a new postmaster would refuse to start.
      const children = childrenOf(postmaster);
      process.kill(postmaster, "SIGKILL");
      await running.exited;
      await eventually("the killed postmaster's processes to exit", () => children.every(hasExited));
    },
    async stop() {
      await shutDown("SIGQUIT");
      dir.remove();
    },
  };
}
