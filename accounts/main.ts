import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { envelopeOf } from "../shared/events/wire";
import { createAuthenticator } from "../shared/http/auth";
import { createMetrics } from "../shared/http/metrics";
import {
  customersPublicUrlOf,
  dashboardOriginsOf,
  inputLimitsOf,
  loadConfig,
} from "../shared/process/config";
import { acquireInstanceLock } from "../shared/process/lock";
import { createLogger } from "../shared/process/log";
import { runMain, serveUntilSignalled } from "../shared/process/main";
import { startStreamPlumbing } from "../shared/process/plumbing";
import { openDatabase } from "../shared/sqlite/db";
import { createApp } from "./app";
import { openKeyRing, signingKeyFileOf } from "./auth/keys";
import { createLoginGuard } from "./auth/login-guard";
import { preparePasswordHashing } from "./auth/password";
import { createSessionStore } from "./auth/sessions";
import { accountCreated, parseDevUsers } from "./domain";
import { createChangeHub } from "./live";
import { ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES, createRevenueProjection } from "./revenue/handler";
import { seedDevelopmentUsers } from "./seed";
import { createAccountsStore } from "./store";

await runMain("accounts", async () => {
  const config = loadConfig(process.env);
  const logger = createLogger("accounts", config.LOG_LEVEL, config.LOG_FORMAT);
  const metrics = createMetrics("accounts");
  const releaseLock = acquireInstanceLock(config.DATA_DIR, "accounts");
  const now = () => new Date();
  const keys = await openKeyRing({
    privateJwk: config.JWT_PRIVATE_KEY,
    previousJwk: config.JWT_PREVIOUS_KEY,
    keyFile: signingKeyFileOf(config.DATA_DIR),
    legacyKeyFile: join(config.DATA_DIR, "accounts-signing-key.jwk.json"),
  });
  const database = openDatabase(
    join(config.DATA_DIR, "accounts.sqlite"),
    new URL("../migrations/accounts", import.meta.url).pathname,
    { walAutocheckpointPages: ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES },
  );
  const store = createAccountsStore(database.db);
  if (config.SEED_DEV_USERS) {
    const at = now();
    const seeded = await seedDevelopmentUsers(store, parseDevUsers(config.DEV_USERS), at, (account) =>
      envelopeOf(accountCreated(account), uuidv7(), at),
    );
    if (seeded)
      logger.warn("created the development users from DEV_USERS; set SEED_DEV_USERS=false in production");
  }
  const hub = createChangeHub();
  const { redis, relay, consumer, closers, stuckAfterMs } = startStreamPlumbing({
    service: "accounts",
    config,
    db: database.db,
    projection: createRevenueProjection({
      db: database.db,
      now,
      newId: uuidv7,
      parkTimeoutMs: config.PARK_TIMEOUT_MS,
    }),
    logger,
    metrics,
    now,
    // Only a batch that changed the read model: parked, dead-lettered or repeated entries change nothing.
    onCommitted: (result) => {
      if (result.applied > 0) hub.notify();
    },
  });
  // After the consumer has started: a restarted service catches up while the decoy hash is computed.
  await preparePasswordHashing();
  const app = createApp({
    db: database.db,
    store,
    keys,
    sessions: createSessionStore(database.db, config.REFRESH_TOKEN_TTL_SECONDS),
    loginGuard: createLoginGuard({
      windowSeconds: config.LOGIN_RATE_WINDOW_SECONDS,
      maxFailuresPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
      maxAttemptsPerClient: config.LOGIN_MAX_ATTEMPTS_PER_CLIENT,
    }),
    clientIpHeader: config.CLIENT_IP_HEADER,
    jwksCacheSeconds: config.JWKS_CACHE_SECONDS,
    limits: inputLimitsOf(config),
    maxAccountsPerUser: config.MAX_ACCOUNTS_PER_USER,
    authenticate: createAuthenticator(keys.verificationKey),
    relay,
    consumer,
    redis,
    stuckAfterMs,
    metrics,
    maxBodyBytes: config.MAX_BODY_BYTES,
    logger,
    tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
    now,
    newEventId: uuidv7,
    hub,
    position: () => consumer.status().position,
    dashboardOrigins: dashboardOriginsOf(config),
    customersUrl: customersPublicUrlOf(config),
  });
  await serveUntilSignalled({
    app,
    beforeStop: () => hub.close(),
    hostname: config.HOST,
    port: config.ACCOUNTS_PORT,
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
