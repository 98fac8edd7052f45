import { Elysia } from "elysia";
import type { Consumer } from "../shared/consumer";
import type { Db } from "../shared/db";
import { healthRoutes } from "../shared/health";
import { problemMapper } from "../shared/http";
import type { Logger } from "../shared/log";
import { metricsRoute } from "../shared/metrics";
import { type CustomerRoutesDeps, customerRoutes } from "./routes";

export type CustomersAppDeps = CustomerRoutesDeps & { db: Db; consumer: Consumer; logger: Logger };

/** The customers HTTP application; it does not listen, main.ts does. */
export function createApp(deps: CustomersAppDeps) {
  return new Elysia()
    .use(problemMapper(deps.logger))
    .use(healthRoutes("customers", deps))
    .use(metricsRoute("customers", deps))
    .use(customerRoutes(deps));
}
