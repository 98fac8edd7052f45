import { uuidv7 } from "uuidv7";
import { createApp } from "../../accounts/app";
import { createLoginGuard, type LoginLimits } from "../../accounts/auth/login-guard";
import type { AuthRoutesDeps } from "../../accounts/auth/routes";
import { createSessionStore } from "../../accounts/auth/sessions";
import { accountCreated } from "../../accounts/domain";
import { createChangeHub } from "../../accounts/live";
import { createRevenueProjection } from "../../accounts/revenue/handler";
import { seedDevelopmentUsers } from "../../accounts/seed";
import { createAccountsStore } from "../../accounts/store";
import { accounts, customers, invoices, refreshTokens, users } from "../../accounts/tables";
import { envelopeOf } from "../../shared/events/wire";
import { idempotencyKeys } from "../../shared/http/idempotency";
import {
  appHarness,
  authenticatorOf,
  DASHBOARD_ORIGIN,
  openAppResources,
  TOKEN_TTL_SECONDS,
} from "./app-harness";
import { beforeAllTests } from "./lifecycle";

export type AccountsHarness = Awaited<ReturnType<typeof startAccountsApp>>;

/** `passwords`: where logins check passwords (the process's own, fair between addresses, unless given). */
export type AccountsAppOptions = {
  loginLimits?: LoginLimits;
  clientIpHeader?: string;
  passwords?: AuthRoutesDeps["passwords"];
};

/** Generous enough that no test other than the rate-limit ones meets them. */
const TEST_LOGIN_LIMITS: LoginLimits = {
  windowSeconds: 300,
  maxFailuresPerUser: 10,
  maxAttemptsPerClient: 1000,
};

const DEVELOPMENT_USERS = [
  { username: "user1", password: "password1", accountName: "one" },
  { username: "user2", password: "password2", accountName: "two" },
];

/** The accounts app in process with user1/password1 (account 1) and user2/password2 (account 2) seeded. */
export async function startAccountsApp(options: AccountsAppOptions = {}) {
  const hub = createChangeHub();
  const resources = await openAppResources(
    "accounts",
    (db, clock) => createRevenueProjection({ db, now: clock.now, newId: uuidv7 }),
    (result) => {
      if (result.applied > 0) hub.notify();
    },
  );
  const { clock, database, consumer, keys } = resources;
  const store = createAccountsStore(database.db);
  const at = clock.now();
  await seedDevelopmentUsers(store, DEVELOPMENT_USERS, at, (account) =>
    envelopeOf(accountCreated(account), uuidv7(), at),
  );
  const app = createApp({
    ...resources,
    redis: resources.connection,
    db: database.db,
    store,
    sessions: createSessionStore(database.db, 3600),
    loginGuard: createLoginGuard(options.loginLimits ?? TEST_LOGIN_LIMITS),
    clientIpHeader: options.clientIpHeader,
    passwords: options.passwords,
    authenticate: authenticatorOf(keys.verificationKey, clock),
    tokenTtlSeconds: TOKEN_TTL_SECONDS,
    now: clock.now,
    newEventId: uuidv7,
    hub,
    position: () => consumer.status().position,
    dashboardOrigins: [DASHBOARD_ORIGIN],
    customersUrl: "http://customers.test",
  });
  await resources.relay.flush();
  const tables = { users, accounts, customers, invoices, refresh_tokens: refreshTokens };
  return { ...appHarness(resources, app, { ...tables, idempotency_keys: idempotencyKeys }), hub, app };
}

/** The accounts app, started before the tests of the file (or describe block) and closed after them. */
export function useAccountsApp(options: AccountsAppOptions = {}): AccountsHarness {
  return beforeAllTests(
    () => startAccountsApp(options),
    (app) => app.close(),
  );
}
