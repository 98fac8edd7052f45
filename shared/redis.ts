import Redis from "ioredis";
import type { Logger } from "./log";

export type { Redis };

/**
 * A Redis connection for a service: commands fail fast while disconnected (the relay and consumer
 * loops own the retrying, with backoff) and ioredis keeps reconnecting in the background.
 */
export function connectRedis(url: string, logger: Logger, name: string): Redis {
  const redis = new Redis(url, {
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) logger.warn("redis connection error", { connection: name, error: error.message });
    down = true;
  });
  redis.on("ready", () => {
    if (down) logger.info("redis connection restored", { connection: name });
    down = false;
  });
  return redis;
}

/** Resolves once the connection is ready; rejects after `timeoutMs` so the caller's backoff takes over. */
export function whenReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(new Error(`redis is not reachable (connection ${redis.status})`));
    }, timeoutMs);
    redis.once("ready", onReady);
  });
}
