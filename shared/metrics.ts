import { Elysia } from "elysia";
import { Gauge, Registry } from "prom-client";
import type { Consumer } from "./consumer";
import type { Db } from "./db";
import { outboxBacklog } from "./outbox";

/**
 * `GET /metrics` in Prometheus text format: the consumer's progress, dead letters, duplicates, parked
 * entries and stream gap, and the outbox backlog. One registry per app, so tests can run several.
 */
export function metricsRoute(service: string, deps: { db: Db; consumer: Consumer; now: () => Date }) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name: `streamledger_${name}`,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  const status = () => deps.consumer.status();
  gauge("consumer_applied_events", "Events applied since start", () => status().applied);
  gauge(
    "consumer_duplicate_events",
    "Events skipped as already applied (same EventId) since start",
    () => status().duplicates,
  );
  gauge("consumer_dead_lettered_entries", "Entries dead-lettered since start", () => status().deadLettered);
  gauge(
    "consumer_parked_entries",
    "Entries parked waiting for an earlier event, since start",
    () => status().parked,
  );
  gauge("consumer_stream_gap", "1 while the stream lost entries this consumer has not applied", () =>
    status().gap ? 1 : 0,
  );
  gauge("consumer_running", "1 while the consumer loop runs", () => (status().running ? 1 : 0));
  gauge(
    "outbox_backlog_events",
    "Events committed but not yet on the stream",
    () => outboxBacklog(deps.db).count,
  );
  gauge("outbox_oldest_age_seconds", "Age of the oldest unpublished event", () => {
    const { oldest } = outboxBacklog(deps.db);
    return oldest ? Math.max(0, (deps.now().getTime() - Date.parse(oldest)) / 1000) : 0;
  });

  return new Elysia().get("/metrics", async ({ set }) => {
    set.headers["content-type"] = registry.contentType;
    return registry.metrics();
  });
}
