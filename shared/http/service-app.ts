import { Elysia } from "elysia";
import type { Logger } from "../process/log";
import { httpConventions } from "./conventions";
import { corsFor } from "./cors";
import { type HealthDeps, healthRoutes } from "./health";
import { type Metrics, metricsRoute } from "./metrics";
import { queryRule } from "./query-rule";
import { ANY_HOST } from "./serve";
import { docsRoutes } from "./static";

/** What every service's app needs besides its own routes' dependencies. */
export type ServiceAppDeps = HealthDeps & {
  logger: Logger;
  metrics: Metrics;
  maxBodyBytes?: number;
  /** Origins whose pages may call this service (CORS): the dashboard's. */
  dashboardOrigins: readonly string[];
  /** What GET /metrics requires as a bearer token (METRICS_TOKEN); unset, it is open. */
  metricsToken?: string;
  /** /metrics is served on a listener of its own (metricsApp), not on this app's port. */
  metricsElsewhere?: boolean;
};

/**
 * The app every service starts from, finding routes whatever the Host header says: the HTTP conventions
 * (request ids, body limits, problem bodies, request logs and metrics), the query rule (only the
 * parameters the OpenAPI document names), CORS for the dashboard, health, metrics, and its OpenAPI
 * document with the docs page. The service mounts its own routes on it; it does not listen (main.ts does).
 */
export function serviceApp(service: string, deps: ServiceAppDeps, openApiDocument: unknown) {
  return new Elysia(ANY_HOST)
    .use(httpConventions(deps))
    .use(queryRule(openApiDocument))
    .use(corsFor(deps.dashboardOrigins))
    .use(healthRoutes(service, deps))
    .use(deps.metricsElsewhere ? new Elysia() : metricsRoute(deps.metrics, deps.metricsToken))
    .use(docsRoutes(openApiDocument));
}

/** /metrics alone, for a listener of its own (METRICS_HOST and the service's METRICS_PORT). */
export function metricsApp(deps: Pick<ServiceAppDeps, "logger" | "metrics" | "metricsToken">) {
  return new Elysia().use(httpConventions(deps)).use(metricsRoute(deps.metrics, deps.metricsToken));
}
