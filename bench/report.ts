import { cpus } from "node:os";
import type { CatchUpRound } from "./catchup";
import type { IngestRound } from "./ingest";
import type { LatencyRound } from "./latency";
import type { LoginFloodRound } from "./login-flood";
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
  loginFlood: LoginFloodRound[];
  catchUp: CatchUpRound[];
  customersRss: number;
  accountsRss: number;
};

/** A figure's target: its wording in the table, and whether a measurement meets it. */
type Target = { label: string; met: (measured: { subject: number; ratio: number | null }) => boolean };

const NO_TARGET: Target = { label: "", met: () => true };
const ratioAtLeast = (min: number): Target => ({
  label: `≥ ${min.toFixed(2)}×`,
  met: ({ ratio }) => ratio !== null && ratio >= min,
});
const ratioAtMost = (max: number): Target => ({
  label: `≤ ${max.toFixed(2)}×`,
  met: ({ ratio }) => ratio !== null && ratio <= max,
});
const atMost = (max: number, unit: string): Target => ({
  label: `≤ ${max} ${unit}`,
  met: ({ subject }) => subject <= max,
});
const below = (max: number, unit: string): Target => ({
  label: `< ${max} ${unit}`,
  met: ({ subject }) => subject < max,
});

/** The median over the rounds of one measurement. */
const medianOf = <T>(rows: T[], pick: (row: T) => number) => median(rows.map(pick));

function figureOf(
  [id, figure, unit]: [id: string, figure: string, unit: string],
  measured: { subject: number; baseline?: number; ratio?: number },
  target = NO_TARGET,
): Figure {
  const { subject, baseline = null, ratio = null } = measured;
  return {
    id,
    figure,
    subject,
    baseline,
    ratio,
    unit,
    target: target.label,
    met: target.met({ subject, ratio }),
  };
}

function ingestFigures(ingest: IngestRound[]): Figure[] {
  const ofIngest = (pick: (round: IngestRound) => number) => medianOf(ingest, pick);
  return [
    figureOf(
      ["ingest_rps", "1. Ingest: POST /invoices requests/s (baseline: hello-world Elysia route)", "req/s"],
      {
        subject: ofIngest((r) => r.subjectRps),
        baseline: ofIngest((r) => r.baselineRps),
        ratio: ofIngest((r) => r.ratio),
      },
      ratioAtLeast(0.4),
    ),
    figureOf(["ingest_p50", "1. Ingest latency p50 (baseline: hello-world p50)", "ms"], {
      subject: ofIngest((r) => r.subjectP50Ms),
      baseline: ofIngest((r) => r.baselineP50Ms),
    }),
    figureOf(
      ["ingest_p99", "1. Ingest latency p99 (baseline: hello-world p99)", "ms"],
      { subject: ofIngest((r) => r.subjectP99Ms), baseline: ofIngest((r) => r.baselineP99Ms) },
      atMost(20, "ms"),
    ),
  ];
}

function endToEndFigures(ingest: IngestRound[], latency: LatencyRound[]): Figure[] {
  const ofLatency = (pick: (round: LatencyRound) => number) => medianOf(latency, pick);
  return [
    figureOf(
      [
        "end_to_end_rate",
        "2. End to end: invoices/s from 201 to visible in accounts (baseline: ingest rate)",
        "invoices/s",
      ],
      {
        subject: medianOf(ingest, (r) => r.endToEndRps),
        baseline: medianOf(ingest, (r) => r.subjectRps),
        ratio: medianOf(ingest, (r) => r.endToEndRatio),
      },
      ratioAtLeast(0.9),
    ),
    figureOf(["end_to_end_p50", "2. End to end latency p50, 201 to visible, at half load", "ms"], {
      subject: ofLatency((r) => r.p50Ms),
    }),
    figureOf(
      ["end_to_end_p99", "2. End to end latency p99, 201 to visible, at half load", "ms"],
      { subject: ofLatency((r) => r.p99Ms) },
      atMost(50, "ms"),
    ),
  ];
}

function streamFigures(catchUp: CatchUpRound[], sizes: Sizes): Figure[] {
  const events = catchUp.length ? sizes.catchUpEvents : 0;
  return [
    figureOf(
      [
        "catch_up_rate",
        `3. Catch-up: accounts from empty over ${events} events (baseline: raw XREAD COUNT 1000 drain)`,
        "events/s",
      ],
      {
        subject: medianOf(catchUp, (r) => r.subjectEventsPerSecond),
        baseline: medianOf(catchUp, (r) => r.baselineEventsPerSecond),
        ratio: medianOf(catchUp, (r) => r.ratio),
      },
      ratioAtLeast(0.5),
    ),
    figureOf(
      ["resume_seconds", `4. Resume: restart to caught up, ${sizes.resumeEvents} events behind`, "s"],
      { subject: medianOf(catchUp, (r) => r.resumeSeconds) },
      below(1, "s"),
    ),
  ];
}

function memoryFigures(runs: Runs): Figure[] {
  return (["customers", "accounts"] as const).map((service) =>
    figureOf(
      [`peak_rss_${service}`, `5. Peak RSS, ${service}`, "MiB"],
      { subject: service === "customers" ? runs.customersRss : runs.accountsRss },
      atMost(150, "MiB"),
    ),
  );
}

function loginFloodFigures(loginFlood: LoginFloodRound[], sizes: Sizes): Figure[] {
  const ofFlood = (pick: (round: LoginFloodRound) => number) => medianOf(loginFlood, pick);
  const flood = `3 addresses send ${3 * sizes.floodLogins} bad logins at once`;
  return [
    figureOf(
      [
        "login_flood_quiet_max",
        `6. Login from a quiet address while ${flood}: the slowest of 5 (baseline: the same login alone)`,
        "ms",
      ],
      {
        subject: ofFlood((r) => r.quietMaxMs),
        baseline: ofFlood((r) => r.baselineMs),
        ratio: ofFlood((r) => r.quietMaxMs / r.baselineMs),
      },
      ratioAtMost(10),
    ),
    figureOf(["login_flood_quiet_p50", "6. Login from a quiet address during that flood, p50", "ms"], {
      subject: ofFlood((r) => r.quietP50Ms),
    }),
  ];
}

/** Every figure beside its baseline and target, as medians over the rounds. */
export function summarise(suite: { mode: "smoke" | "full"; sizes: Sizes; seconds: number; runs: Runs }) {
  const { sizes, runs } = suite;
  const { ingest, latency, loginFlood, catchUp } = runs;
  return {
    mode: suite.mode,
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", bun: Bun.version },
    sizes,
    suiteSeconds: suite.seconds,
    figures: [
      ...ingestFigures(ingest),
      ...endToEndFigures(ingest, latency),
      ...streamFigures(catchUp, sizes),
      ...memoryFigures(runs),
      ...loginFloodFigures(loginFlood, sizes),
    ],
    rounds: { ingest, latency, loginFlood, catchUp },
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
