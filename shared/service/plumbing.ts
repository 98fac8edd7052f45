import type { Metrics } from "../http/metrics";
import { createOutboxRelay } from "../outbox/relay";
import { outboxBacklog } from "../outbox/table";
import type { Config } from "../process/config";
import type { Logger } from "../process/log";
import { startConsumer } from "../projection/consumer";
import type { BatchResult, Projection } from "../projection/projection";
import type { Db } from "../sqlite/db";
import { createStreamReader } from "../stream/reader";
import { closeRedis, connectRedis, redisTargetOf } from "../stream/redis";
import type { Closer } from "./lifecycle";

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
