import { Elysia } from "elysia";
import type { Consumer } from "./consumer";
import type { Db } from "./db";
import { outboxBacklog } from "./outbox";

/** `GET /health`: names the service and shows where its consumer stands and what waits in its outbox. */
export function healthRoute(service: string, deps: { db: Db; consumer: Consumer }) {
  return new Elysia().get("/health", () => {
    const consumer = deps.consumer.status();
    return {
      service,
      status: consumer.running ? "ok" : "degraded",
      consumer,
      outbox: outboxBacklog(deps.db),
    };
  });
}
