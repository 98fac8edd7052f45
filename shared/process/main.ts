import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Metrics } from "../http/metrics";
import { listen, type ServableApp } from "../http/serve";
import { createOutboxRelay, outboxBacklog } from "../outbox/relay";
import { startConsumer } from "../projection/consumer";
import type { BatchResult, Projection } from "../projection/projection";
import type { Db } from "../sqlite/db";
import { createStreamReader } from "../stream/reader";
import { closeRedis, connectRedis, redisTargetOf } from "../stream/redis";
import type { Config } from "./config";
import type { Logger } from "./log";

type Closer = { name: string; close(): unknown };

/**
 * Serves an app until SIGTERM/SIGINT, then stops accepting requests, lets in-flight ones finish, and
 * closes the resources in the given order (loops before the connections they use) before exiting 0.
 */
export async function serveUntilSignalled(deps: {
  app: ServableApp;
  hostname: string;
  port: number;
  logger: Logger;
  closers: Closer[];
  graceMs: number;
  maxBodyBytes: number;
  /** Runs first at shutdown: ends long-lived responses (event streams) the drain would otherwise wait on. */
  beforeStop?: () => void;
}): Promise<void> {
  const { app, hostname, port, logger, closers, graceMs, maxBodyBytes, beforeStop } = deps;
  // The app answers bodies over MAX_BODY_BYTES with a 413 problem; Bun's own limit is a backstop on memory.
  const backstop = Math.max(4 * maxBodyBytes, 1024 * 1024);
  const server = await listen(app, { hostname, port, maxRequestBodySize: backstop });
  logger.info("listening", { url: `http://${hostname}:${port}` });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const deadline = setTimeout(() => {
      logger.error("shutdown exceeded its grace period; exiting", { grace_ms: graceMs });
      process.exit(1);
    }, graceMs);
    try {
      beforeStop?.();
      await server.stop();
      for (const closer of closers) {
        try {
          await closer.close();
        } catch (error) {
          logger.warn("error while closing", { resource: closer.name, error: String(error) });
        }
      }
    } finally {
      clearTimeout(deadline);
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.removeAllListeners("SIGTERM");
  process.removeAllListeners("SIGINT");
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Runs a service's start-up; a failure (bad configuration, unreadable data dir) is printed plainly and exits 1. */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  // A stop requested while starting: nothing is serving or half-written yet, so leave at once, cleanly.
  // serveUntilSignalled replaces these with the graceful drain.
  // Owner-only for everything the service creates: SQLite files with their WAL, keys, lock files.
  process.umask(0o077);
  const leave = () => process.exit(0);
  process.once("SIGTERM", leave);
  process.once("SIGINT", leave);
  try {
    await main();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}

/**
 * The stream side of a service: its Redis connection, the outbox relay publishing its events and the
 * consumer feeding its projection (which wakes the relay when it dead-letters), plus what closes them,
 * in order, at shutdown.
 */
export function startStreamPlumbing(deps: {
  service: string;
  config: Config;
  db: Db;
  projection: Projection;
  logger: Logger;
  metrics: Metrics;
  now: () => Date;
  /** Called after each batch has committed (accounts tells its open event streams). */
  onCommitted?: (result: BatchResult) => void;
  /** Told the EventIds the relay put on the stream (customers remembers them as its own). */
  onPublished?: (eventIds: string[]) => void;
}) {
  const { service, config, db, projection, logger, metrics, now, onCommitted, onPublished } = deps;
  const target = redisTargetOf(config);
  const connect = (name: string, blocking = false) =>
    connectRedis(target, logger, name, { blocking, onReconnect: () => metrics.redisReconnected(name) });
  const redis = connect(service);
  const relay = createOutboxRelay({
    db,
    redis,
    streamKey: config.STREAM_KEY,
    producer: service,
    logger,
    onPublished,
  });
  const consumer = startConsumer({
    reader: createStreamReader({
      connect: () => connect(`${service}-reader`, true),
      streamKey: config.STREAM_KEY,
      count: config.CONSUMER_BATCH_SIZE,
      blockMs: config.CONSUMER_BLOCK_MS,
    }),
    redis,
    streamKey: config.STREAM_KEY,
    projection,
    onBatch: (result, seconds) => {
      metrics.batchApplied(result, seconds);
      if (result.deadLettered > 0) relay.notify();
      onCommitted?.(result);
    },
    logger,
    now,
  });
  metrics.watch({ consumer: () => consumer.status(), outbox: () => outboxBacklog(db), now });
  const closers: Closer[] = [
    { name: "consumer", close: () => consumer.close() },
    { name: "outbox relay", close: () => relay.close() },
    { name: "redis", close: () => closeRedis(redis) },
  ];
  // A loop comes round at least once per BLOCK; allow for a slow batch and a replaced connection.
  const stuckAfterMs = 2 * config.CONSUMER_BLOCK_MS + 10_000;
  return { redis, relay, consumer, closers, stuckAfterMs };
}

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
