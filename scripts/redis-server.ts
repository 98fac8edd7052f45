import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, join } from "node:path";
import { describePortRefusal, portRefusal } from "../shared/process/ports";

export type RedisServerOptions = {
  port: number;
  dir: string;
  appendfsync?: "always" | "everysec" | "no";
  /** A file under `dir` for the server's log; without one the log is dropped. */
  logFile?: string;
  /** The variable that chose the port, named in the message when it is taken. */
  portVariable?: string;
};

/** A running `redis-server` child. */
export type RedisServerProcess = {
  pid: number;
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
};

export class RedisServerMissingError extends Error {
  override name = "RedisServerMissingError";
}

/** redis-server could not start; the message says why and what to do. */
export class RedisServerStartError extends Error {
  override name = "RedisServerStartError";
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

// redis-server cannot watch its parent, so a watchdog does: it blocks on a pipe from this process, whose
// end closes when this process ends in any way (SIGKILL included), then ends redis-server if it is still
// the process of that pid. Both run in sessions of their own, so a terminal's Ctrl-C reaches neither: the
// services drain first, then whoever started redis-server stops it.
const WATCHDOG = `while read -r _; do :; done
[ "$(cat /proc/$1/comm 2>/dev/null)" = redis-server ] && kill -TERM "$1"
exit 0`;

function watch(server: ChildProcess): ChildProcess {
  const watchdog = spawn("sh", ["-c", WATCHDOG, "redis-watchdog", String(server.pid)], {
    detached: true,
    stdio: ["pipe", "ignore", "ignore"],
  });
  watchdog.unref();
  (watchdog.stdin as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

function serverArguments(options: RedisServerOptions): string[] {
  return [
    "--port",
    String(options.port),
    "--bind",
    "127.0.0.1",
    "--dir",
    options.dir,
    "--appendonly",
    "yes",
    "--appendfsync",
    options.appendfsync ?? "everysec",
    "--save",
    "",
    "--maxmemory-policy",
    "noeviction",
    "--logfile",
    options.logFile ?? "",
  ];
}

/**
 * Starts a local `redis-server` child with AOF persistence under `dir`, no RDB snapshots and no eviction,
 * and resolves once it answers PING. A watchdog ends it if this process dies without stopping it.
 */
export async function spawnRedisServer(options: RedisServerOptions): Promise<RedisServerProcess> {
  const binary = onPath("redis-server");
  if (!binary) {
    throw new RedisServerMissingError(
      "redis-server was not found on PATH: install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or set REDIS_URL to an existing Redis",
    );
  }
  // Checked first: with the port taken, PING would be answered by whatever holds it.
  if ((await portRefusal("127.0.0.1", options.port)) !== null) {
    throw new RedisServerStartError(await whyItExited(options, null));
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const child = spawn(binary, serverArguments(options), {
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const watchdog = watch(child);
  // Unguarded, redis-server could outlive this process: it stops with its watchdog, like any part of the tree.
  watchdog.once("exit", () => {
    if (exitCode === undefined) child.kill("SIGTERM");
  });
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    const settle = (code: number | null) => {
      exitCode = code;
      watchdog.stdin?.end();
      resolve(code);
    };
    child.once("exit", (code) => settle(code));
    child.once("error", () => settle(-1));
  });
  const server = {
    pid: child.pid ?? -1,
    kill: (signal: NodeJS.Signals = "SIGTERM") => void child.kill(signal),
    exited,
  };
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exitCode !== undefined) throw new RedisServerStartError(await whyItExited(options, exitCode));
    if (await answersPing(options.port)) return server;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  server.kill();
  throw new RedisServerStartError(`redis-server on port ${options.port} did not answer PING`);
}

/** Why redis-server cannot start or exited at start: its port taken (and by what), else the end of its log. */
async function whyItExited(options: RedisServerOptions, code: number | null): Promise<string> {
  const refusal = await portRefusal("127.0.0.1", options.port);
  if (refusal !== null) {
    return `redis-server could not start: ${describePortRefusal({
      port: options.port,
      host: "127.0.0.1",
      variable: options.portVariable ?? "its port",
      code: refusal,
    })}`;
  }
  let tail = "";
  if (options.logFile) {
    try {
      const lines = readFileSync(join(options.dir, options.logFile), "utf8").trimEnd().split("\n");
      tail = `; the end of ${join(options.dir, options.logFile)}:\n${lines.slice(-5).join("\n")}`;
    } catch {}
  }
  return `redis-server exited with code ${code} at start${tail}`;
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    let received = "";
    const socket = connect({ host: "127.0.0.1", port }, () => void socket.write("PING\r\n"));
    socket.setEncoding("utf8");
    socket.on("data", (data) => {
      received += data;
      if (received.includes("\r\n")) {
        socket.end();
        resolve(received.startsWith("+PONG"));
      }
    });
    socket.on("error", () => resolve(false));
    socket.on("close", () => resolve(received.startsWith("+PONG")));
  });
}
