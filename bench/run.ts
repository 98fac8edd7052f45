import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { spawnRedisServer } from "../shared/redis-server";
import { type CatchUpRound, catchUpRound, fillTemplate } from "./catchup";
import { type IngestRound, ingestRound, startHttpSystem } from "./ingest";
import { type LatencyRound, latencyRound } from "./latency";
import { freePort, median, ROOT, requireProgram, type Sizes, tempDir } from "./support";

const FULL: Sizes = {
  rounds: 3,
  seconds: 5,
  connections: 50,
  catchUpEvents: 1_000_000,
  resumeEvents: 100_000,
};
const SMOKE: Sizes = { rounds: 1, seconds: 1, connections: 10, catchUpEvents: 3000, resumeEvents: 500 };

const { values: args } = parseArgs({
  options: { smoke: { type: "boolean", default: false }, out: { type: "string" } },
});
const base = args.smoke ? SMOKE : FULL;
const fromEnv = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const sizes: Sizes = {
  rounds: fromEnv("BENCH_ROUNDS", base.rounds),
  seconds: fromEnv("BENCH_SECONDS", base.seconds),
  connections: base.connections,
  catchUpEvents: fromEnv("BENCH_EVENTS", base.catchUpEvents),
  resumeEvents: fromEnv("BENCH_RESUME_EVENTS", base.resumeEvents),
};
const outDir = args.out ?? join(ROOT, "bench");
// BENCH_ONLY=http or BENCH_ONLY=stream runs one half, for working on it (the other half's figures are empty).
const only = process.env.BENCH_ONLY;
const log = (message: string) => process.stderr.write(`bench: ${message}\n`);

requireProgram("wrk", "wrk");
const dir = tempDir("streamledger-bench-");
const redisPort = freePort();
// As `npm start` runs it: AOF, fsync every second.
const redisServer = await spawnRedisServer({
  port: redisPort,
  dir: join(dir.path, "redis"),
  appendfsync: "everysec",
});
const redisUrl = `redis://127.0.0.1:${redisPort}`;
const redis = new Redis(redisUrl);
const suiteStarted = performance.now();

try {
  log(`sizes ${JSON.stringify(sizes)}; logs in ${dir.path}`);
  const ingest: IngestRound[] = [];
  const latency: LatencyRound[] = [];
  let customersRss = 0;
  let accountsRss = 0;
  const system = only === "stream" ? null : await startHttpSystem(redisUrl, dir.path);
  try {
    for (let round = 1; system && round <= sizes.rounds; round++) {
      const measured = await ingestRound(system, {
        round,
        seconds: sizes.seconds,
        connections: sizes.connections,
      });
      ingest.push(measured);
      log(`round ${round} ingest ${JSON.stringify(measured)}`);
      const paced = await latencyRound(system, {
        round,
        seconds: Math.max(sizes.seconds, 2),
        fullRps: measured.subjectRps,
      });
      latency.push(paced);
      log(`round ${round} latency ${JSON.stringify(paced)}`);
    }
    customersRss = system?.customers.peakRssMiB() ?? 0;
    accountsRss = system?.accounts.peakRssMiB() ?? 0;
  } finally {
    await system?.stop();
  }

  const catchUp: CatchUpRound[] = [];
  const stream = only === "http" ? null : await fillTemplate(redis, sizes.catchUpEvents);
  for (let round = 1; stream && round <= sizes.rounds; round++) {
    const measured = await catchUpRound({
      redis,
      redisUrl,
      stream,
      dir: dir.path,
      round,
      resumeEvents: sizes.resumeEvents,
    });
    catchUp.push(measured);
    log(`round ${round} catch-up ${JSON.stringify(measured)}`);
  }
  accountsRss = Math.max(accountsRss, ...catchUp.map((round) => round.peakRssMiB));

  const results = summarise({ ingest, latency, catchUp, customersRss, accountsRss });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, "results.json"), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outDir, "results.md"), markdown(results));
  process.stdout.write(markdown(results));
  dir.remove();
} catch (error) {
  log(`failed; logs kept in ${dir.path}`);
  throw error;
} finally {
  redis.disconnect();
  redisServer.kill("SIGKILL");
  await redisServer.exited;
}

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

function summarise(runs: {
  ingest: IngestRound[];
  latency: LatencyRound[];
  catchUp: CatchUpRound[];
  customersRss: number;
  accountsRss: number;
}) {
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
    mode: args.smoke ? "smoke" : "full",
    generatedAt: new Date().toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? "unknown", bun: Bun.version },
    sizes,
    suiteSeconds: (performance.now() - suiteStarted) / 1000,
    figures,
    rounds: { ingest, latency, catchUp },
  };
}

function format(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return "";
  const digits = unit === "ms" || unit === "s" ? 2 : unit === "MiB" ? 1 : 0;
  return `${value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })} ${unit}`;
}

function markdown(results: ReturnType<typeof summarise>): string {
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
