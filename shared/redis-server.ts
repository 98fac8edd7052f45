import { mkdirSync } from "node:fs";
import type { Subprocess } from "bun";

export type RedisServerOptions = {
  port: number;
  dir: string;
  appendfsync?: "always" | "everysec" | "no";
  logFile?: string;
};

export class RedisServerMissingError extends Error {
  override name = "RedisServerMissingError";
}

/**
 * Starts a local `redis-server` child with AOF persistence under `dir`, no RDB snapshots and no eviction,
 * and resolves once it answers PING.
 */
export async function spawnRedisServer(options: RedisServerOptions): Promise<Subprocess> {
  const binary = Bun.which("redis-server");
  if (!binary) {
    throw new RedisServerMissingError(
      "redis-server was not found on PATH: install it (Debian/Ubuntu: sudo apt-get install -y redis-server) or set REDIS_URL to an existing Redis",
    );
  }
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const child = Bun.spawn(
    [
      binary,
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
    { stdout: "ignore", stderr: "inherit" },
  );
  await waitForPing(options.port, child);
  return child;
}

async function waitForPing(port: number, child: Subprocess): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode} at start`);
    if (await answersPing(port)) return;
    await Bun.sleep(25);
  }
  throw new Error(`redis-server on port ${port} did not answer PING`);
}

async function answersPing(port: number): Promise<boolean> {
  try {
    const reply = await new Promise<string>((resolve, reject) => {
      let received = "";
      Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (socket) => void socket.write("PING\r\n"),
          data: (socket, data) => {
            received += data.toString();
            if (received.includes("\r\n")) {
              socket.end();
              resolve(received);
            }
          },
          error: (_socket, error) => reject(error),
          connectError: (_socket, error) => reject(error),
        },
      }).catch(reject);
    });
    return reply.startsWith("+PONG");
  } catch {
    return false;
  }
}
