import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { envelopeOf } from "../shared/events/wire";
import { createAuthenticator } from "../shared/http/auth";
import { customersPublicUrlOf } from "../shared/process/config";
import { runMain } from "../shared/service/lifecycle";
import { startService } from "../shared/service/startup";
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
  const service = startService("accounts");
  const { config, logger, now } = service;
  const keys = await openKeyRing({
    privateJwk: config.JWT_PRIVATE_KEY,
    previousJwk: config.JWT_PREVIOUS_KEY,
    keyFile: signingKeyFileOf(config.DATA_DIR),
    legacyKeyFile: join(config.DATA_DIR, "accounts-signing-key.jwk.json"),
  });
  const { db } = service.openDatabase({ walAutocheckpointPages: ACCOUNTS_WAL_AUTOCHECKPOINT_PAGES });
  const store = createAccountsStore(db);
  if (config.SEED_DEV_USERS) {
    const at = now();
    const seeded = await seedDevelopmentUsers(store, parseDevUsers(config.DEV_USERS), at, (account) =>
      envelopeOf(accountCreated(account), uuidv7(), at),
    );
    if (seeded)
      logger.warn("created the development users from DEV_USERS; set SEED_DEV_USERS=false in production");
  }
  const hub = createChangeHub();
  const { consumer, appDeps } = service.startPlumbing(db, {
    projection: createRevenueProjection({ db, now, newId: uuidv7, parkTimeoutMs: config.PARK_TIMEOUT_MS }),
    // Only a batch that changed the read model: parked, dead-lettered or repeated entries change nothing.
    onCommitted: (result) => {
      if (result.applied > 0) hub.notify();
    },
  });
  // After the consumer has started: a restarted service catches up while the decoy hash is computed.
  await preparePasswordHashing();
  const app = createApp({
    ...appDeps,
    store,
    keys,
    sessions: createSessionStore(db, config.REFRESH_TOKEN_TTL_SECONDS),
    loginGuard: createLoginGuard({
      windowSeconds: config.LOGIN_RATE_WINDOW_SECONDS,
      maxFailuresPerUser: config.LOGIN_MAX_FAILURES_PER_USER,
      maxAttemptsPerClient: config.LOGIN_MAX_ATTEMPTS_PER_CLIENT,
    }),
    clientIpHeader: config.CLIENT_IP_HEADER,
    jwksCacheSeconds: config.JWKS_CACHE_SECONDS,
    maxAccountsPerUser: config.MAX_ACCOUNTS_PER_USER,
    authenticate: createAuthenticator(keys.verificationKey),
    tokenTtlSeconds: config.TOKEN_TTL_SECONDS,
    hub,
    position: () => consumer.status().position,
    customersUrl: customersPublicUrlOf(config),
  });
  await service.serve(app, config.ACCOUNTS_PORT, () => hub.close());
});
