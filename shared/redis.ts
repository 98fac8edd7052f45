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

/**
 * Resolves once the connection is ready; rejects after `timeoutMs` (so the caller's backoff takes over)
 * or as soon as `signal` aborts (so closing never waits for Redis).
 */
export function whenReady(redis: Redis, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      signal?.removeEventListener("abort", onAbort);
      outcome();
    };
    const onReady = () => settle(resolve);
    const onAbort = () => settle(() => reject(new Error("closed while waiting for redis")));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`redis is not reachable (connection ${redis.status})`))),
      timeoutMs,
    );
    redis.once("ready", onReady);
    signal?.addEventListener("abort", onAbort);
    if (signal?.aborted) onAbort();
  });
}
