import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { connect } from "node:net";
import { delimiter, join } from "node:path";

export type RedisServerOptions = {
  port: number;
  dir: string;
  appendfsync?: "always" | "everysec" | "no";
  logFile?: string;
};

/** A running `redis-server` child. */
export type RedisServerProcess = {
  kill(signal?: NodeJS.Signals): void;
  /** Resolves with the exit code (null when ended by a signal). */
  exited: Promise<number | null>;
};

export class RedisServerMissingError extends Error {
  override name = "RedisServerMissingError";
}

function onPath(name: string): string | null {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

/**
 * Starts a local `redis-server` child with AOF persistence under `dir`, no RDB snapshots and no eviction,
 * and resolves once it answers PING.
 */
export async function spawnRedisServer(options: RedisServerOptions): Promise<RedisServerProcess> {
  const binary = onPath("redis-server");
  if (!binary) {
    throw new RedisServerMissingError(
      "redis-server was not found on PATH: install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or set REDIS_URL to an existing Redis",
    );
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const child = spawn(
    binary,
    [
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
    ],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code) => {
      exitCode = code;
      resolve(code);
    });
    child.once("error", () => {
      exitCode = -1;
      resolve(-1);
    });
  });
  const server = { kill: (signal: NodeJS.Signals = "SIGTERM") => void child.kill(signal), exited };
  for (let attempt = 0; attempt < 200; attempt++) {
    if (exitCode !== undefined) throw new Error(`redis-server exited with code ${exitCode} at start`);
    if (await answersPing(options.port)) return server;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  server.kill();
  throw new Error(`redis-server on port ${options.port} did not answer PING`);
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
