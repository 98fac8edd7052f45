import { Elysia } from "elysia";
import { httpConventions } from "../shared/http/conventions";
import { corsFor } from "../shared/http/cors";
import { type HealthDeps, healthRoutes } from "../shared/http/health";
import { type Metrics, metricsRoute } from "../shared/http/metrics";
import { docsRoutes } from "../shared/http/static";
import type { Logger } from "../shared/process/log";
import { customersOpenApi } from "./openapi";
import { type CustomerRoutesDeps, customerRoutes } from "./routes";

export type CustomersAppDeps = CustomerRoutesDeps &
  HealthDeps & {
    logger: Logger;
    metrics: Metrics;
    maxBodyBytes?: number;
    /** Origins whose pages may call this service (CORS): the dashboard's. */
    dashboardOrigins: readonly string[];
  };

/** The customers HTTP application; it does not listen, main.ts does. */
export function createApp(deps: CustomersAppDeps) {
  return new Elysia()
    .use(httpConventions(deps))
    .use(corsFor(deps.dashboardOrigins))
    .use(healthRoutes("customers", deps))
    .use(metricsRoute(deps.metrics))
    .use(docsRoutes(customersOpenApi(deps.limits)))
    .use(customerRoutes(deps));
}
