import { Database } from "bun:sqlite";
import { existsSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { serviceEnvironment } from "../shared/process/runtime";
import { eventually, type Output, outputOf } from "../test/support/resources";

export const ROOT = join(import.meta.dir, "..");

export type Sizes = {
  rounds: number;
  /** Seconds of each wrk run. */
  seconds: number;
  connections: number;
  /** Entries of the pre-filled stream for catch-up, and entries appended while accounts is down for resume. */
  catchUpEvents: number;
  resumeEvents: number;
  /** Bad logins each of the login flood's three addresses sends at once. */
  floodLogins: number;
};

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

/** The nearest-rank percentile `p` (0–100) of `values`. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** Runs a program to its end; what it wrote to stdout and stderr, and its exit code. */
export async function runToExit(
  command: string[],
  options: { cwd?: string; env?: Record<string, string | undefined> } = {},
): Promise<Output> {
  return outputOf(Bun.spawn(command, { ...options, stdout: "pipe", stderr: "pipe" }));
}

/** A process the bench started, with its peak resident set size read from /proc before it stops. */
export type BenchProcess = {
  name: string;
  url: string;
  pid: number;
  peakRssMiB(): number;
  /** CPU time (user + system) the process has used so far, in seconds; 0 when unreadable. */
  cpuSeconds(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
};

/** utime + stime of a live process from /proc (clock ticks of 1/100 s on Linux), in seconds. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The fields after the command name (which may hold spaces) start after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

/** The highest resident set size of a live process so far (VmHWM), in MiB; 0 when unreadable. */
export function peakRssMiB(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
    return kib / 1024;
  } catch {
    return 0;
  }
}

/** Spawns a Bun script as a process and waits until `ready` answers; its output goes to `logFile`. */
export async function spawnBun(options: {
  name: string;
  script: string;
  env: Record<string, string>;
  port: number;
  logFile: string;
  ready: (url: string) => Promise<boolean>;
}): Promise<BenchProcess> {
  const url = `http://127.0.0.1:${options.port}`;
  const log = openSync(options.logFile, "a");
  // BENCH_PROFILE=<dir> writes a CPU profile of each process there (markdown, on exit).
  const profile = process.env.BENCH_PROFILE
    ? [
        "--cpu-prof-md",
        `--cpu-prof-dir=${process.env.BENCH_PROFILE}`,
        `--cpu-prof-name=${options.name}-${Date.now()}.md`,
      ]
    : [];
  const child: Subprocess = Bun.spawn([process.execPath, ...profile, options.script], {
    cwd: ROOT,
    // As `npm start` runs a service (the hello-world baseline too: the same runtime settings).
    env: { ...process.env, ...serviceEnvironment("bun", process.env), ...options.env },
    stdout: log,
    stderr: log,
  });
  await eventually(
    `${options.name} to start`,
    async () => {
      if (child.exitCode !== null) {
        throw new Error(`${options.name} exited with ${child.exitCode}; see ${options.logFile}`);
      }
      return (await options.ready(url)) || undefined;
    },
    30_000,
    20,
  );
  return processHandle(options.name, url, child);
}

function processHandle(name: string, url: string, child: Subprocess): BenchProcess {
  let peak = 0;
  const sample = () => {
    peak = Math.max(peak, peakRssMiB(child.pid));
    return peak;
  };
  return {
    name,
    url,
    pid: child.pid,
    peakRssMiB: sample,
    cpuSeconds: () => cpuSeconds(child.pid),
    async stop(signal = "SIGTERM") {
      sample();
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await child.exited;
    },
  };
}

/** A service (customers or accounts) as a real process, ready once its /health names it. */
export function startService(
  name: "customers" | "accounts",
  env: Record<string, string>,
  logFile: string,
): Promise<BenchProcess> {
  const port = Number(env[name === "customers" ? "CUSTOMERS_PORT" : "ACCOUNTS_PORT"]);
  return spawnBun({
    name,
    script: join(ROOT, name, "main.ts"),
    env,
    port,
    logFile,
    ready: async (url) => {
      const body = (await (await fetch(`${url}/health`)).json()) as { service?: string };
      return body.service === name;
    },
  });
}

/** A read-only view of a service's SQLite file (WAL: it never blocks the service's writer). */
export function openReadOnly(path: string): Database {
  return new Database(path, { readonly: true });
}

/** The accounts projection's checkpoint, read from its database file; undefined before it has one. */
export function accountsCheckpoint(dataDir: string): { position: string; entriesRead: number } | undefined {
  const path = join(dataDir, "accounts.sqlite");
  if (!existsSync(path)) return undefined;
  const db = openReadOnly(path);
  try {
    const row = db
      .query<{ position: string; entries_read: number }, []>(
        "SELECT position, entries_read FROM checkpoints WHERE consumer = 'accounts'",
      )
      .get();
    return row ? { position: row.position, entriesRead: row.entries_read } : undefined;
  } catch {
    return undefined;
  } finally {
    db.close();
  }
}

/** Fails with an install hint when a program the suite needs is missing. */
export function requireProgram(name: string, apt: string): string {
  const path = Bun.which(name);
  if (!path) {
    throw new Error(
      `${name} was not found on PATH: install it (Debian/Ubuntu: sudo apt-get install -y ${apt})`,
    );
  }
  return path;
}
