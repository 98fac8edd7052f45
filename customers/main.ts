import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { createAuthenticator, remoteSigningKeys } from "../shared/http/auth";
import { createMetrics } from "../shared/http/metrics";
import { dashboardOriginsOf, inputLimitsOf, loadConfig } from "../shared/process/config";
import { acquireInstanceLock } from "../shared/process/lock";
import { createLogger } from "../shared/process/log";
import { runMain, serveUntilSignalled } from "../shared/process/main";
import { startStreamPlumbing } from "../shared/process/plumbing";
import { openDatabase } from "../shared/sqlite/db";
import { createAccountsView } from "./accounts-view";
import { createApp } from "./app";
import { createRecentIds } from "./recent-ids";
import { createCustomersStore } from "./store";

const OWN_EVENTS_REMEMBERED = 20_000;

await runMain("customers", async () => {
  const config = loadConfig(process.env);
  const logger = createLogger("customers", config.LOG_LEVEL, config.LOG_FORMAT);
  const metrics = createMetrics("customers");
  const releaseLock = acquireInstanceLock(config.DATA_DIR, "customers");
  const now = () => new Date();
  const database = openDatabase(
    join(config.DATA_DIR, "customers.sqlite"),
    new URL("../migrations/customers", import.meta.url).pathname,
  );
  // Events this process published, so its view passes them without decoding when it reads them back. The
  // reader is normally a few hundred entries behind the relay; further behind, they are decoded as any.
  const published = createRecentIds(OWN_EVENTS_REMEMBERED);
  const { redis, relay, consumer, closers, stuckAfterMs } = startStreamPlumbing({
    service: "customers",
    config,
    db: database.db,
    projection: createAccountsView({ db: database.db, now, newId: uuidv7, isOwnEvent: published.has }),
    onPublished: (eventIds) => {
      for (const eventId of eventIds) published.add(eventId);
    },
    logger,
    metrics,
    now,
  });
  const app = createApp({
    db: database.db,
    store: createCustomersStore(database.db),
    authenticate: createAuthenticator(
      remoteSigningKeys(config.ACCOUNTS_URL, { cacheSeconds: config.JWKS_CACHE_SECONDS }),
    ),
    relay,
    consumer,
    redis,
    stuckAfterMs,
    metrics,
    maxBodyBytes: config.MAX_BODY_BYTES,
    logger,
    now,
    newEventId: uuidv7,
    dashboardOrigins: dashboardOriginsOf(config),
    limits: inputLimitsOf(config),
  });
  await serveUntilSignalled({
    app,
    hostname: config.HOST,
    port: config.CUSTOMERS_PORT,
    logger,
    graceMs: config.SHUTDOWN_GRACE_MS,
    maxBodyBytes: config.MAX_BODY_BYTES,
    closers: [
      ...closers,
      { name: "database", close: () => database.close() },
      { name: "instance lock", close: releaseLock },
    ],
  });
});
