import { Elysia } from "elysia";
import { type HealthDeps, healthRoutes } from "../shared/health";
import { httpConventions } from "../shared/http";
import type { Logger } from "../shared/log";
import { type Metrics, metricsRoute } from "../shared/metrics";
import { type CustomerRoutesDeps, customerRoutes } from "./routes";

export type CustomersAppDeps = CustomerRoutesDeps &
  HealthDeps & { logger: Logger; metrics: Metrics; maxBodyBytes?: number };

/** The customers HTTP application; it does not listen, main.ts does. */
export function createApp(deps: CustomersAppDeps) {
  return new Elysia()
    .use(httpConventions(deps))
    .use(healthRoutes("customers", deps))
    .use(metricsRoute(deps.metrics))
    .use(customerRoutes(deps));
}
