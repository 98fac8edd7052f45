import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { inputLimitsOf } from "../http/limits";
import { createMetrics } from "../http/metrics";
import type { ServableApp } from "../http/serve";
import { metricsApp } from "../http/service-app";
import { dashboardOriginsOf, loadConfig, metricsListenerOf } from "../process/config";
import { acquireInstanceLock } from "../process/lock";
import { createLogger } from "../process/log";
import { openDatabase, type SqliteDatabase } from "../sqlite/db";
import { type Closer, listenOrExplain, serveUntilSignalled } from "./lifecycle";
import { startStreamPlumbing } from "./plumbing";

type Service = "customers" | "accounts";
type PlumbingOptions = Pick<
  Parameters<typeof startStreamPlumbing>[0],
  "projection" | "onCommitted" | "onPublished"
>;

/**
 * The start-up both services share, in the order main.ts calls it: `startService` reads the configuration
 * and makes the logger, the metrics and the instance lock; then the service opens its database, starts
 * its stream plumbing, builds its app and serves it until signalled, which closes everything in order
 * (the consumer and relay, Redis, the database, the lock). Only main.ts calls it.
 */
export function startService(service: Service) {
  const config = loadConfig(process.env);
  const logger = createLogger(service, config.LOG_LEVEL, config.LOG_FORMAT);
  const metrics = createMetrics(service);
  const releaseLock = acquireInstanceLock(config.DATA_DIR, service);
  const metricsListener = metricsListenerOf(config, service);
  const now = () => new Date();
  let database: SqliteDatabase | undefined;
  let plumbingClosers: Closer[] = [];

  return {
    config,
    logger,
    metrics,
    now,

    /** The service's SQLite file in DATA_DIR, migrated. */
    openDatabase(options: { walAutocheckpointPages?: number } = {}): SqliteDatabase {
      const migrations = new URL(`../../migrations/${service}`, import.meta.url).pathname;
      database = openDatabase(join(config.DATA_DIR, `${service}.sqlite`), migrations, options);
      return database;
    },

    /** The relay and the consumer of `projection` (see startStreamPlumbing), and what every app takes. */
    startPlumbing(db: SqliteDatabase["db"], options: PlumbingOptions) {
      const plumbing = startStreamPlumbing({ service, config, db, logger, metrics, now, ...options });
      plumbingClosers = plumbing.closers;
      const { redis, relay, consumer, stuckAfterMs } = plumbing;
      const appDeps = {
        db,
        redis,
        relay,
        consumer,
        stuckAfterMs,
        metrics,
        logger,
        now,
        newEventId: uuidv7,
        maxBodyBytes: config.MAX_BODY_BYTES,
        dashboardOrigins: dashboardOriginsOf(config),
        limits: inputLimitsOf(config),
        metricsToken: config.METRICS_TOKEN,
        metricsElsewhere: metricsListener !== null,
      };
      return { relay, consumer, appDeps };
    },

    /**
     * Serves `app` on `port` until SIGTERM/SIGINT; `beforeStop` runs first (see serveUntilSignalled). With
     * a metrics port, /metrics listens there first and stops with the rest.
     */
    async serve(app: ServableApp, port: number, beforeStop?: () => void): Promise<void> {
      const opened = database;
      const metricsServer = metricsListener
        ? await listenOrExplain(
            metricsApp({ logger, metrics, metricsToken: config.METRICS_TOKEN }),
            { hostname: metricsListener.host, port: metricsListener.port, maxRequestBodySize: 1024 * 1024 },
            metricsListener.variable,
          )
        : null;
      if (metricsListener)
        logger.info("metrics listening", {
          url: `http://${metricsListener.host}:${metricsListener.port}/metrics`,
        });
      return serveUntilSignalled({
        app,
        beforeStop,
        hostname: config.HOST,
        port,
        portVariable: `${service.toUpperCase()}_PORT`,
        logger,
        graceMs: config.SHUTDOWN_GRACE_MS,
        maxBodyBytes: config.MAX_BODY_BYTES,
        closers: [
          ...(metricsServer ? [{ name: "metrics listener", close: () => metricsServer.stop() }] : []),
          ...plumbingClosers,
          ...(opened ? [{ name: "database", close: () => opened.close() }] : []),
          { name: "instance lock", close: releaseLock },
        ],
      });
    },
  };
}
