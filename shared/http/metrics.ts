import { createHash, timingSafeEqual } from "node:crypto";
import { Elysia } from "elysia";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ConsumerStatus } from "../projection/consumer";
import type { BatchResult } from "../projection/projection";
import { AuthError } from "./errors";

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
  const http = httpMetrics(registers);
  const stream = streamMetrics(registers);
  scrapedGauges(registers, (pick, fallback) => (sources ? pick(sources) : fallback));

  return {
    registry,
    /** Connects the scrape-time gauges to the running consumer and outbox. */
    watch(from: MetricsSources): void {
      sources = from;
    },
    httpRequest(method: string, route: string, status: number, seconds: number): void {
      const labels = { method, route, status: String(status) };
      http.requests.inc(labels);
      http.duration.observe(labels, seconds);
    },
    batchApplied(result: BatchResult, seconds: number): void {
      stream.batchDuration.observe(seconds);
      for (const [type, count] of Object.entries(result.appliedByType)) {
        stream.eventsApplied.inc({ type }, count);
      }
      if (result.deadLettered > 0) stream.deadLettered.inc(result.deadLettered);
      if (result.duplicates > 0) stream.duplicates.inc(result.duplicates);
    },
    redisReconnected(connection: string): void {
      stream.redisReconnects.inc({ connection });
    },
  };
}

type Registers = Registry[];

function httpMetrics(registers: Registers) {
  return {
    requests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by method, route and status",
      labelNames: ["method", "route", "status"],
      registers,
    }),
    duration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request latency by method, route and status",
      labelNames: ["method", "route", "status"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
  };
}

/** What the consumer and the Redis connections report as it happens. */
function streamMetrics(registers: Registers) {
  return {
    eventsApplied: new Counter({
      name: "streamledger_events_applied_total",
      help: "Events applied to the read model, by type",
      labelNames: ["type"],
      registers,
    }),
    batchDuration: new Histogram({
      name: "streamledger_batch_apply_seconds",
      help: "Time to apply one batch and commit it with its checkpoint",
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    deadLettered: new Counter({
      name: "streamledger_dead_lettered_total",
      help: "Entries dead-lettered",
      registers,
    }),
    duplicates: new Counter({
      name: "streamledger_duplicates_skipped_total",
      help: "Events skipped because their EventId was already applied",
      registers,
    }),
    redisReconnects: new Counter({
      name: "streamledger_redis_reconnects_total",
      help: "Redis connections restored after a loss",
      labelNames: ["connection"],
      registers,
    }),
  };
}

type Read = <T>(pick: (sources: MetricsSources) => T, fallback: T) => T;

/** The gauges read on scrape from the consumer and the outbox (their fallback until `watch` is called). */
function scrapedGauges(registers: Registers, read: Read): void {
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
}

const digestOf = (text: string) => createHash("sha256").update(text).digest();

/**
 * `GET /metrics` in Prometheus text format; with `token`, only for a request whose Authorization is
 * `Bearer <token>` (compared in constant time, as digests of equal length), else a 401 problem.
 */
export function metricsRoute(metrics: Metrics, token?: string) {
  const expected = token === undefined ? null : digestOf(`Bearer ${token}`);
  return new Elysia().get("/metrics", async ({ request, set }) => {
    if (expected && !timingSafeEqual(expected, digestOf(request.headers.get("authorization") ?? ""))) {
      throw new AuthError(401, "GET /metrics needs the METRICS_TOKEN as a bearer token");
    }
    set.headers["content-type"] = metrics.registry.contentType;
    return metrics.registry.metrics();
  });
}
