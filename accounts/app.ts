import { Elysia } from "elysia";
import type { Consumer } from "../shared/consumer";
import type { Db } from "../shared/db";
import { healthRoutes } from "../shared/health";
import { problemMapper } from "../shared/http";
import type { Logger } from "../shared/log";
import { metricsRoute } from "../shared/metrics";
import { onlyKnownUsers } from "./auth";
import { type AccountRoutesDeps, accountRoutes, authRoutes } from "./routes";

export type AccountsAppDeps = AccountRoutesDeps & { db: Db; consumer: Consumer; logger: Logger };

/** The accounts HTTP application; it does not listen, main.ts does. */
export function createApp(deps: AccountsAppDeps) {
  const authenticate = onlyKnownUsers(
    deps.authenticate,
    (username) => deps.store.findUser(username) !== undefined,
  );
  return new Elysia()
    .use(problemMapper(deps.logger))
    .use(healthRoutes("accounts", deps))
    .use(metricsRoute("accounts", deps))
    .use(authRoutes(deps))
    .use(accountRoutes({ ...deps, authenticate }));
}
