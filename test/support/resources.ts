import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { type RedisServerProcess, spawnRedisServer } from "../../scripts/redis-server";

/** A port nobody listens on right now. */
export function freePort(): number {
  const server = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const { port } = server;
  server.stop(true);
  return port;
}

/** Whether nothing accepts connections on 127.0.0.1:`port` now. */
export async function portIsClosed(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return false;
  } catch {
    return true;
  }
}

export function tempDir(prefix = "streamledger-"): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function uniqueStreamKey(): string {
  return `test-stream-${crypto.randomUUID()}`;
}

export type TestRedis = {
  url: string;
  port: number;
  /** A plain client for the test's own reads and writes. */
  client: Redis;
  /** SIGKILL, as a crash: only what reached the AOF survives. */
  kill(): Promise<void>;
  /** Starts the server again on the same port and directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
};

export type RedisOptions = { appendfsync?: "always" | "everysec" };

/** Its own redis-server on a free port with a temp dir; AOF fsync on every write unless told otherwise. */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const port = freePort();
  const dir = tempDir("streamledger-redis-");
  const launch = () =>
    spawnRedisServer({ port, dir: dir.path, appendfsync: options.appendfsync ?? "always" });
  let child: RedisServerProcess | null = await launch();
  const url = `redis://127.0.0.1:${port}`;
  const client = new Redis(url, { maxRetriesPerRequest: null });
  client.on("error", () => {});
  const kill = async () => {
    child?.kill("SIGKILL");
    await child?.exited;
    child = null;
  };
  return {
    url,
    port,
    client,
    kill,
    async restart() {
      await kill();
      child = await launch();
    },
    async stop() {
      client.disconnect();
      await kill();
      dir.remove();
    },
  };
}

/**
 * Polls `check` every `intervalMs` until it returns a value other than undefined/false; fails with `what`
 * after `timeoutMs`.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    await Bun.sleep(intervalMs);
  }
  throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ""}`);
}

export type Output = { code: number; stdout: string; stderr: string };

/** Waits for a process spawned with its output piped to exit: its exit code, stdout and stderr. */
export async function outputOf(child: {
  exited: Promise<number>;
  stdout: ReadableStream<Uint8Array>;
  stderr: ReadableStream<Uint8Array>;
}): Promise<Output> {
  const [code, stdout, stderr] = await Promise.all([
    child.exited,
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
  ]);
  return { code, stdout, stderr };
}
