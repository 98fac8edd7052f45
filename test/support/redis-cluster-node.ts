import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import Redis from "ioredis";
import { infoField } from "./redis-cluster-topology";
import { eventually } from "./resources";

/** An ACL user every node knows (the default user is then off); replication authenticates as it too. */
export type ClusterCredentials = { username: string; password: string };

export type ClusterNodeSettings = {
  nodeTimeoutMs: number;
  appendfsync: "always" | "everysec" | "no";
  credentials: ClusterCredentials | null;
};

/** One cluster node's redis-server, on a fixed port and directory across kills and restarts. */
export type ClusterNodeProcess = {
  port: number;
  dir: string;
  /** A standalone connection to this node only; commands fail at once while the node is down. */
  admin: Redis;
  isRunning(): boolean;
  /**
   * Spawns the server; resolves false when another process holds its port or bus port. Fails with the end
   * of the server's log when it exits at start for another reason.
   */
  start(): Promise<boolean>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Kills the server and closes the admin connection. */
  close(): Promise<void>;
};

// Node ports stay below 22768, so a node's port and its cluster bus port (port + 10000) are both below
// Linux's ephemeral range (32768+) and no outgoing connection can take either between check and bind.
const LOWEST_PORT = 12000;
const HIGHEST_PORT = 22767;
export const BUS_PORT_OFFSET = 10000;
const LOG_FILE = "redis.log";

function canListen(port: number): boolean {
  // Bun.listen reports a taken port only by throwing.
  try {
    Bun.listen({ hostname: "127.0.0.1", port, socket: { data() {} } }).stop(true);
    return true;
  } catch {
    return false;
  }
}

/** A port where both it and its bus port are free right now, not in `taken`. */
export function freeClusterPort(taken: ReadonlySet<number>): number {
  for (let attempt = 0; attempt < 1000; attempt++) {
    const port = LOWEST_PORT + Math.floor(Math.random() * (HIGHEST_PORT - LOWEST_PORT + 1));
    if (!taken.has(port) && canListen(port) && canListen(port + BUS_PORT_OFFSET)) return port;
  }
  throw new Error(`no free port pair (port, port+${BUS_PORT_OFFSET}) in ${LOWEST_PORT}-${HIGHEST_PORT}`);
}

/** The arguments redis-cli needs to authenticate as the cluster's ACL user (none without ACL). */
export function redisCliAuth(credentials: ClusterCredentials | null): string[] {
  if (!credentials) return [];
  return ["--user", credentials.username, "--pass", credentials.password, "--no-auth-warning"];
}

function serverArguments(port: number, dir: string, settings: ClusterNodeSettings): string[] {
  const { credentials } = settings;
  const acl = credentials
    ? [
        ["--user", "default", "off"],
        ["--user", credentials.username, "on", `>${credentials.password}`, "~*", "&*", "+@all"],
        ["--masteruser", credentials.username, "--masterauth", credentials.password],
      ].flat()
    : [];
  return [
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--logfile", join(dir, LOG_FILE)],
    ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
    ["--cluster-node-timeout", String(settings.nodeTimeoutMs)],
    // A replica always stands for election however long its link was down, and replicas never move to
    // another master on their own: a test sees exactly the failovers it causes.
    ["--cluster-replica-validity-factor", "0", "--cluster-allow-replica-migration", "no"],
    ["--appendonly", "yes", "--appendfsync", settings.appendfsync, "--save", ""],
    ["--maxmemory-policy", "noeviction"],
    ["--repl-diskless-sync-delay", "0", "--repl-ping-replica-period", "1"],
    acl,
  ].flat();
}

export function createClusterNode(
  port: number,
  dir: string,
  settings: ClusterNodeSettings,
): ClusterNodeProcess {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const admin = new Redis({
    host: "127.0.0.1",
    port,
    username: settings.credentials?.username,
    password: settings.credentials?.password,
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    retryStrategy: () => 100,
  });
  admin.on("error", () => {});
  let child: Subprocess | null = null;

  const kill = async () => {
    const running = child;
    child = null;
    if (!running) return;
    running.kill("SIGKILL");
    await running.exited;
  };

  const logFile = join(dir, LOG_FILE);
  const start = async (): Promise<boolean> => {
    const spawned = Bun.spawn(["redis-server", ...serverArguments(port, dir, settings)], {
      stdout: "ignore",
      stderr: "inherit",
    });
    child = spawned;
    if (admin.status === "wait") void admin.connect().catch(() => {});
    // A server answering on the port is ours only if its process id is the one just spawned.
    const outcome = await eventually(
      `redis-server on port ${port} to answer (log: ${logFile})`,
      async () => {
        if (spawned.exitCode !== null || spawned.signalCode !== null) return "exited";
        const pid = infoField(await admin.info("server"), "process_id");
        return pid === String(spawned.pid) ? "up" : undefined;
      },
      10_000,
      25,
    );
    if (outcome === "up") return true;
    child = null;
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
    if (/Address already in use/.test(log.slice(-2000))) return false;
    const logTail = log.trim().split("\n").slice(-5).join("\n") || "(nothing logged; see its stderr)";
    throw new Error(`redis-server on port ${port} exited at start: ${logTail}`);
  };

  return {
    port,
    dir,
    admin,
    isRunning: () => child !== null,
    start,
    kill,
    async close() {
      await kill();
      admin.disconnect();
    },
  };
}
