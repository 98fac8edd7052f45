import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import Redis from "ioredis";
import { type Config, redisUrlOf } from "../process/config";
import type { Logger } from "../process/log";

export type { Redis };

/** How long a non-blocking command may wait for its reply before the connection counts as silent. */
export const COMMAND_TIMEOUT_MS = 5000;

/**
 * Where Redis is and how to reach it: the URL (`redis://` or `rediss://`, with `user:password@` for an ACL
 * user) and, for `rediss://`, the CA and client certificate read from REDIS_TLS_CA/CERT/KEY.
 */
export type RedisTarget = { url: string; tls?: ConnectionOptions };

export function redisTargetOf(config: Config): RedisTarget {
  const url = redisUrlOf(config);
  if (!url.startsWith("rediss://")) return { url };
  const read = (path: string | undefined, variable: string) => {
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, "utf8");
    } catch (error) {
      throw new Error(`${variable}: cannot read ${path} (${error instanceof Error ? error.message : error})`);
    }
  };
  const tls: ConnectionOptions = {
    ca: read(config.REDIS_TLS_CA, "REDIS_TLS_CA"),
    cert: read(config.REDIS_TLS_CERT, "REDIS_TLS_CERT"),
    key: read(config.REDIS_TLS_KEY, "REDIS_TLS_KEY"),
  };
  return { url, tls: Object.fromEntries(Object.entries(tls).filter(([, value]) => value !== undefined)) };
}

/**
 * A Redis connection for a service: commands fail fast while disconnected (the relay and consumer
 * loops own the retrying, with backoff) and ioredis keeps reconnecting in the background. Unless
 * `blocking` (a connection for BLOCK reads, which has its own watchdog), a command unanswered after
 * COMMAND_TIMEOUT_MS fails; see `recoverIfSilent`.
 */
export function connectRedis(
  target: RedisTarget | string,
  logger: Logger,
  name: string,
  options: { onReconnect?: () => void; blocking?: boolean } = {},
): Redis {
  const { url, tls } = typeof target === "string" ? { url: target, tls: undefined } : target;
  const redis = new Redis(url, {
    ...(tls ? { tls } : {}),
    connectionName: name,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    keepAlive: 10_000,
    // The loops own retrying: a command that failed with its connection is not sent again behind their back.
    autoResendUnfulfilledCommands: false,
    ...(options.blocking ? {} : { commandTimeout: COMMAND_TIMEOUT_MS }),
    retryStrategy: (times) => Math.min(100 * times, 2000),
  });
  let down = false;
  redis.on("error", (error: Error) => {
    if (!down) logger.warn("redis connection error", { connection: name, error: error.message });
    down = true;
  });
  redis.on("close", () => {
    // Closed on purpose (disconnect, quit): the status is already "end".
    if (redis.status === "end") return;
    if (!down) logger.warn("redis connection lost", { connection: name });
    down = true;
  });
  redis.on("ready", () => {
    if (down) {
      logger.info("redis connection restored", { connection: name });
      options.onReconnect?.();
    }
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

/**
 * After a command timed out, the connection may be up but silent (a half-open TCP connection, a hung
 * proxy): drop it so ioredis connects afresh instead of queueing behind it forever.
 */
export function recoverIfSilent(redis: Redis, error: unknown): void {
  if (/command timed out/i.test(String(error))) redis.disconnect(true);
}

/** Closes politely (QUIT) if Redis answers soon, else drops the connection. */
export async function closeRedis(redis: Redis): Promise<void> {
  const timer = setTimeout(() => redis.disconnect(), 1000);
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
