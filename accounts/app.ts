import { Elysia } from "elysia";
import { httpConventions } from "../shared/http/conventions";
import { corsFor } from "../shared/http/cors";
import { type HealthDeps, healthRoutes } from "../shared/http/health";
import { type Metrics, metricsRoute } from "../shared/http/metrics";
import { docsRoutes } from "../shared/http/static";
import type { Logger } from "../shared/process/log";
import { type AuthRoutesDeps, authRoutes } from "./auth/routes";
import { onlyKnownUsers } from "./auth/tokens";
import { dashboardRoutes } from "./dashboard";
import { type LiveRoutesDeps, liveRoutes } from "./live";
import { accountsOpenApi } from "./openapi";
import { type AccountRoutesDeps, accountRoutes } from "./routes";

export type AccountsAppDeps = AccountRoutesDeps &
  AuthRoutesDeps &
  HealthDeps &
  Omit<LiveRoutesDeps, "authenticate"> & {
    logger: Logger;
    metrics: Metrics;
    maxBodyBytes?: number;
    /** Origins whose pages may call this service (CORS). */
    dashboardOrigins: readonly string[];
    /** customers as the dashboard's browser reaches it. */
    customersUrl: string;
  };

/** The accounts HTTP application; it does not listen, main.ts does. */
export function createApp(deps: AccountsAppDeps) {
  const authenticate = onlyKnownUsers(
    deps.authenticate,
    (username) => deps.store.findUser(username) !== undefined,
  );
  return new Elysia()
    .use(httpConventions(deps))
    .use(corsFor(deps.dashboardOrigins))
    .use(healthRoutes("accounts", deps))
    .use(metricsRoute(deps.metrics))
    .use(docsRoutes(accountsOpenApi(deps.limits)))
    .use(dashboardRoutes(deps.customersUrl))
    .use(authRoutes(deps))
    .use(liveRoutes({ ...deps, authenticate }))
    .use(accountRoutes({ ...deps, authenticate }));
}
