import { Elysia } from "elysia";
import type { Consumer } from "./consumer";
import type { Db } from "./db";
import { outboxBacklog } from "./outbox";

/**
 * `GET /health` names the service and shows where its consumer stands and what waits in its outbox;
 * `GET /health/ready` answers 503 while the consumer is stopped or held by a stream gap.
 */
export function healthRoutes(service: string, deps: { db: Db; consumer: Consumer }) {
  const report = () => {
    const consumer = deps.consumer.status();
    const ready = consumer.running && consumer.gap === null;
    return { service, status: ready ? "ok" : "not ready", consumer, outbox: outboxBacklog(deps.db) };
  };
  return new Elysia().get("/health", report).get("/health/ready", ({ set }) => {
    const body = report();
    if (body.status !== "ok") set.status = 503;
    return body;
  });
}
