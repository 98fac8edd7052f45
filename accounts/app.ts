import { Elysia } from "elysia";
import { type HealthDeps, healthRoutes } from "../shared/health";
import { httpConventions } from "../shared/http";
import type { Logger } from "../shared/log";
import { type Metrics, metricsRoute } from "../shared/metrics";
import { onlyKnownUsers } from "./auth";
import { type AccountRoutesDeps, accountRoutes, authRoutes } from "./routes";

export type AccountsAppDeps = AccountRoutesDeps &
  HealthDeps & { logger: Logger; metrics: Metrics; maxBodyBytes?: number };

/** The accounts HTTP application; it does not listen, main.ts does. */
export function createApp(deps: AccountsAppDeps) {
  const authenticate = onlyKnownUsers(
    deps.authenticate,
    (username) => deps.store.findUser(username) !== undefined,
  );
  return new Elysia()
    .use(httpConventions(deps))
    .use(healthRoutes("accounts", deps))
    .use(metricsRoute(deps.metrics))
    .use(authRoutes(deps))
    .use(accountRoutes({ ...deps, authenticate }));
}
