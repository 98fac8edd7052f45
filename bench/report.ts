import { cpus } from "node:os";
import type { CatchUpRound } from "./catchup";
import type { IngestRound } from "./ingest";
import type { LatencyRound } from "./latency";
import { median, type Sizes } from "./support";

type Figure = {
  /** A stable name for scripts; `figure` is the table's wording. */
  id: string;
  figure: string;
  subject: number;
  baseline: number | null;
  ratio: number | null;
  unit: string;
  target: string;
  met: boolean;
};

export type Runs = {
  ingest: IngestRound[];
  latency: LatencyRound[];
  catchUp: CatchUpRound[];
  customersRss: number;
  accountsRss: number;
};

/** Every figure beside its baseline and target, as medians over the rounds. */
export function summarise(suite: { mode: "smoke" | "full"; sizes: Sizes; seconds: number; runs: Runs }) {
  const { sizes, runs } = suite;
  const { ingest, latency, catchUp } = runs;
  const m = <T>(rows: T[], pick: (row: T) => number) => median(rows.map(pick));
  const ingestRatio = m(ingest, (r) => r.ratio);
  const p99 = m(ingest, (r) => r.subjectP99Ms);
  const e2eRatio = m(ingest, (r) => r.endToEndRatio);
  const latencyP99 = m(latency, (r) => r.p99Ms);
  const catchUpRatio = m(catchUp, (r) => r.ratio);
  const resume = m(catchUp, (r) => r.resumeSeconds);
  const figures: Figure[] = [
    {
      id: "ingest_rps",
      figure: "1. Ingest: POST /invoices requests/s (baseline: hello-world Elysia route)",
      subject: m(ingest, (r) => r.subjectRps),
      baseline: m(ingest, (r) => r.baselineRps),
      ratio: ingestRatio,
      unit: "req/s",
      target: "≥ 0.40×",
      met: ingestRatio >= 0.4,
    },
    {
      id: "ingest_p50",
      figure: "1. Ingest latency p50 (baseline: hello-world p50)",
      subject: m(ingest, (r) => r.subjectP50Ms),
      baseline: m(ingest, (r) => r.baselineP50Ms),
      ratio: null,
      unit: "ms",
      target: "",
      met: true,
    },
    {
      id: "ingest_p99",
      figure: "1. Ingest latency p99 (baseline: hello-world p99)",
      subject: p99,
      baseline: m(ingest, (r) => r.baselineP99Ms),
      ratio: null,
      unit: "ms",
      target: "≤ 20 ms",
      met: p99 <= 20,
    },
    {
      id: "end_to_end_rate",
      figure: "2. End to end: invoices/s from 201 to visible in accounts (baseline: ingest rate)",
      subject: m(ingest, (r) => r.endToEndRps),
      baseline: m(ingest, (r) => r.subjectRps),
      ratio: e2eRatio,
      unit: "invoices/s",
      target: "≥ 0.90×",
      met: e2eRatio >= 0.9,
    },
    {
      id: "end_to_end_p50",
      figure: "2. End to end latency p50, 201 to visible, at half load",
      subject: m(latency, (r) => r.p50Ms),
      baseline: null,
      ratio: null,
      unit: "ms",
      target: "",
      met: true,
    },
    {
      id: "end_to_end_p99",
      figure: "2. End to end latency p99, 201 to visible, at half load",
      subject: latencyP99,
      baseline: null,
      ratio: null,
      unit: "ms",
      target: "≤ 50 ms",
      met: latencyP99 <= 50,
    },
    {
      id: "catch_up_rate",
      figure: `3. Catch-up: accounts from empty over ${catchUp.length ? sizes.catchUpEvents : 0} events (baseline: raw XREAD COUNT 1000 drain)`,
      subject: m(catchUp, (r) => r.subjectEventsPerSecond),
      baseline: m(catchUp, (r) => r.baselineEventsPerSecond),
      ratio: catchUpRatio,
      unit: "events/s",
      target: "≥ 0.50×",
      met: catchUpRatio >= 0.5,
    },
    {
      id: "resume_seconds",
      figure: `4. Resume: restart to caught up, ${sizes.resumeEvents} events behind`,
      subject: resume,
      baseline: null,
      ratio: null,
      unit: "s",
      target: "< 1 s",
      met: resume < 1,
    },
    {
      id: "peak_rss_customers",
      figure: "5. Peak RSS, customers",
      subject: runs.customersRss,
      baseline: null,
      ratio: null,
      unit: "MiB",
      target: "≤ 150 MiB",
      met: runs.customersRss <= 150,
    },
    {
      id: "peak_rss_accounts",
      figure: "5. Peak RSS, accounts",
      subject: runs.accountsRss,
      baseline: null,
      ratio: null,
      unit: "MiB",
      target: "≤ 150 MiB",
      met: runs.accountsRss <= 150,
    },
  ];
  return {
    mode: suite.mode,
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", bun: Bun.version },
    sizes,
    suiteSeconds: suite.seconds,
    figures,
    rounds: { ingest, latency, catchUp },
  };
}

function format(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return "";
  const digits = unit === "ms" || unit === "s" ? 2 : unit === "MiB" ? 1 : 0;
  return `${value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

/** The results as the table README.md shows. */
export function markdown(results: ReturnType<typeof summarise>): string {
  const rows = results.figures.map(
    (f) =>
      `| ${f.figure} | ${format(f.subject, f.unit)} | ${format(f.baseline, f.unit)} | ${f.ratio === null ? "" : `${f.ratio.toFixed(2)}×`} | ${f.target} | ${f.target ? (f.met ? "yes" : "**no**") : ""} |`,
  );
  return [
    `Run ${results.generatedAt} (${results.mode}, ${results.sizes.rounds} interleaved rounds, medians; ${results.machine.cpus} × ${results.machine.cpuModel}, Bun ${results.machine.bun}; ${Math.round(results.suiteSeconds)} s)`,
    "",
    "| figure | subject | baseline | ratio | target | met |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows,
    "",
  ].join("\n");
}
