import { Elysia } from "elysia";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ConsumerStatus } from "../projection/consumer";
import type { BatchResult } from "../projection/projection";

export type Metrics = ReturnType<typeof createMetrics>;

/** What the metrics read when scraped: the consumer's state and the outbox backlog. */
export type MetricsSources = {
  consumer: () => ConsumerStatus;
  outbox: () => { count: number; oldest: string | null };
  now: () => Date;
};

/**
 * The service's Prometheus metrics, in a registry of its own (so tests can run several apps): HTTP
 * requests, consumer progress and lag, batch latency, dead letters, duplicates, outbox backlog, Redis
 * reconnects. Recorders are called by the code that sees the event; gauges read `sources` on scrape.
 */
export function createMetrics(service: string) {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  const registers = [registry];
  let sources: MetricsSources | null = null;
  const read = <T>(pick: (s: MetricsSources) => T, fallback: T): T => (sources ? pick(sources) : fallback);

  const httpRequests = new Counter({
    name: "http_requests_total",
    help: "HTTP requests by method, route and status",
    labelNames: ["method", "route", "status"],
    registers,
  });
  const httpDuration = new Histogram({
    name: "http_request_duration_seconds",
    help: "HTTP request latency by method, route and status",
    labelNames: ["method", "route", "status"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const eventsApplied = new Counter({
    name: "streamledger_events_applied_total",
    help: "Events applied to the read model, by type",
    labelNames: ["type"],
    registers,
  });
  const batchDuration = new Histogram({
    name: "streamledger_batch_apply_seconds",
    help: "Time to apply one batch and commit it with its checkpoint",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const deadLettered = new Counter({
    name: "streamledger_dead_lettered_total",
    help: "Entries dead-lettered",
    registers,
  });
  const duplicates = new Counter({
    name: "streamledger_duplicates_skipped_total",
    help: "Events skipped because their EventId was already applied",
    registers,
  });
  const redisReconnects = new Counter({
    name: "streamledger_redis_reconnects_total",
    help: "Redis connections restored after a loss",
    labelNames: ["connection"],
    registers,
  });
  const gauge = (name: string, help: string, value: () => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(value());
      },
    });
  gauge(
    "streamledger_consumer_lag_entries",
    "Stream entries the consumer has not read yet (-1: unknown)",
    () => read((s) => s.consumer().lag ?? -1, -1),
  );
  gauge("streamledger_consumer_parked_entries", "Entries waiting for an earlier event", () =>
    read((s) => s.consumer().parkedNow, 0),
  );
  gauge(
    "streamledger_consumer_stream_gap",
    "1 while the stream lost entries this consumer has not applied",
    () => read((s) => (s.consumer().gap ? 1 : 0), 0),
  );
  gauge("streamledger_consumer_running", "1 while the consumer loop runs", () =>
    read((s) => (s.consumer().running ? 1 : 0), 0),
  );
  gauge("streamledger_outbox_backlog_events", "Events committed but not yet on the stream", () =>
    read((s) => s.outbox().count, 0),
  );
  gauge("streamledger_outbox_oldest_age_seconds", "Age of the oldest unpublished event", () =>
    read((s) => {
      const { oldest } = s.outbox();
      return oldest ? Math.max(0, (s.now().getTime() - Date.parse(oldest)) / 1000) : 0;
    }, 0),
  );

  return {
    registry,
    /** Connects the scrape-time gauges to the running consumer and outbox. */
    watch(from: MetricsSources): void {
      sources = from;
    },
    httpRequest(method: string, route: string, status: number, seconds: number): void {
      const labels = { method, route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    batchApplied(result: BatchResult, seconds: number): void {
      batchDuration.observe(seconds);
      for (const [type, count] of Object.entries(result.appliedByType)) eventsApplied.inc({ type }, count);
      if (result.deadLettered > 0) deadLettered.inc(result.deadLettered);
      if (result.duplicates > 0) duplicates.inc(result.duplicates);
    },
    redisReconnected(connection: string): void {
      redisReconnects.inc({ connection });
    },
  };
}

/** `GET /metrics` in Prometheus text format. */
export function metricsRoute(metrics: Metrics) {
  return new Elysia().get("/metrics", async ({ set }) => {
    set.headers["content-type"] = metrics.registry.contentType;
    return metrics.registry.metrics();
  });
}
