import { Elysia } from "elysia";
import { outboxBacklog } from "../outbox/table";
import type { Logger } from "../process/log";
import { currentRuntime } from "../process/runtime";
import type { Consumer } from "../projection/consumer";
import { type Db, sqliteDriverName } from "../sqlite/db";
import { type Redis, recoverIfSilent } from "../stream/redis";

export type HealthDeps = {
  db: Db;
  /** Keeps what a failed check's library said; the answer says it in the project's words. */
  logger: Logger;
  redis: Redis;
  consumer: Consumer;
  now: () => Date;
  /** A consumer whose loop has not come round for this long is stuck. */
  stuckAfterMs: number;
};

type Check = { ok: boolean; detail?: string };

/**
 * `GET /health/live`: the process answers. `GET /health/ready`: 200 only when Redis answers, SQLite takes
 * a write lock, the consumer loop is running and coming round, and no stream gap is pending; else 503.
 * Both, and `GET /health`, name the service and its runtime and give the consumer's position, lag and last apply time.
 */
export function healthRoutes(service: string, deps: HealthDeps) {
  const details = () => {
    const consumer = deps.consumer.status();
    return {
      position: consumer.position,
      stream_length: consumer.streamLength,
      lag: consumer.lag,
      last_applied_at: consumer.lastAppliedAt,
      last_loop_at: consumer.lastLoopAt,
      running: consumer.running,
      gap: consumer.gap,
      applied: consumer.applied,
      duplicates: consumer.duplicates,
      dead_lettered: consumer.deadLettered,
      parked: consumer.parkedNow,
      last_error: consumer.lastError,
    };
  };
  const report = (status: string, checks?: Record<string, Check>) => ({
    service,
    status,
    runtime: { name: currentRuntime(), sqlite: sqliteDriverName },
    ...(checks ? { checks } : {}),
    consumer: details(),
    outbox: outboxBacklog(deps.db),
  });

  async function readiness(): Promise<Record<string, Check>> {
    const [redis, sqlite] = await Promise.all([
      checkRedis(deps.redis, deps.logger),
      Promise.resolve(checkSqlite(deps.db, deps.logger)),
    ]);
    return { redis, sqlite, consumer: checkConsumer(deps) };
  }

  return new Elysia()
    .get("/health", () => report("ok"))
    .get("/health/live", () => report("live"))
    .get("/health/ready", async ({ set }) => {
      const checks = await readiness();
      const ready = Object.values(checks).every((check) => check.ok);
      if (!ready) set.status = 503;
      return report(ready ? "ready" : "not ready", checks);
    });
}

async function checkRedis(redis: Redis, logger: Logger): Promise<Check> {
  if (redis.status !== "ready") {
    logger.warn("readiness: Redis is not connected", { status: redis.status });
    return { ok: false, detail: "Redis is not connected" };
  }
  try {
    await Promise.race([
      redis.ping(),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("Command timed out: no answer to PING within 1 s")), 1000),
      ),
    ]);
    return { ok: true };
  } catch (error) {
    recoverIfSilent(redis, error);
    logger.warn("readiness: Redis did not answer PING", { error: String(error) });
    return { ok: false, detail: "Redis did not answer PING within 1 s" };
  }
}

function checkSqlite(db: Db, logger: Logger): Check {
  try {
    db.transaction(() => {}, { behavior: "immediate" });
    return { ok: true };
  } catch (error) {
    logger.warn("readiness: SQLite could not take a write lock", { error: String(error) });
    return { ok: false, detail: "SQLite could not take a write lock" };
  }
}

function checkConsumer({ consumer, now, stuckAfterMs }: HealthDeps): Check {
  const status = consumer.status();
  if (!status.running) return { ok: false, detail: "the consumer loop has stopped" };
  if (status.gap) return { ok: false, detail: `stream gap: ${status.gap.reason}` };
  if (status.lastLoopAt === null) return { ok: false, detail: "the consumer has not read the stream yet" };
  const idleMs = now().getTime() - Date.parse(status.lastLoopAt);
  if (idleMs > stuckAfterMs)
    return { ok: false, detail: `the consumer loop has not come round for ${idleMs} ms` };
  return { ok: true };
}
