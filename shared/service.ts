import { type Config, redisUrlOf } from "./config";
import { startConsumer } from "./consumer";
import type { Db } from "./db";
import type { Logger } from "./log";
import { createOutboxRelay } from "./outbox";
import type { Projection } from "./projection";
import { connectRedis } from "./redis";
import { createStreamReader } from "./stream";

type Closer = { name: string; close(): unknown };

/** The part of an Elysia app this needs (Elysia's own type is too specific to each app to name here). */
type Server = { listen(options: { hostname: string; port: number }): unknown; stop(): Promise<unknown> };

/**
 * Serves an app until SIGTERM/SIGINT, then stops accepting requests, lets in-flight ones finish, and
 * closes the resources in the given order (loops before the connections they use) before exiting 0.
 */
export function serveUntilSignalled(deps: {
  app: Server;
  hostname: string;
  port: number;
  logger: Logger;
  closers: Closer[];
  graceMs?: number;
}): void {
  const { app, hostname, port, logger, closers, graceMs = 10_000 } = deps;
  app.listen({ hostname, port });
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
      await app.stop();
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
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Runs a service's start-up; a failure (bad configuration, unreadable data dir) is printed plainly and exits 1. */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
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
  now: () => Date;
}) {
  const { service, config, db, projection, logger, now } = deps;
  const redisUrl = redisUrlOf(config);
  const redis = connectRedis(redisUrl, logger, service);
  const relay = createOutboxRelay({ db, redis, streamKey: config.STREAM_KEY, producer: service, logger });
  const consumer = startConsumer({
    reader: createStreamReader({
      connect: () => connectRedis(redisUrl, logger, `${service}-reader`),
      streamKey: config.STREAM_KEY,
      count: config.CONSUMER_BATCH_SIZE,
      blockMs: config.CONSUMER_BLOCK_MS,
    }),
    redis,
    streamKey: config.STREAM_KEY,
    projection,
    onBatch: (result) => {
      if (result.deadLettered > 0) relay.notify();
    },
    logger,
    now,
  });
  const closers: Closer[] = [
    { name: "consumer", close: () => consumer.close() },
    { name: "outbox relay", close: () => relay.close() },
    { name: "redis", close: () => redis.quit() },
  ];
  return { relay, consumer, closers };
}
