import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import Redis from "ioredis";
import { spawnRedisServer } from "../scripts/redis-server";
import { freePort, tempDir } from "../test/support/resources";
import { type CatchUpRound, catchUpRound, fillTemplate } from "./catchup";
import { type IngestRound, ingestRound, startHttpSystem } from "./ingest";
import { type LatencyRound, latencyRound } from "./latency";
import { type LoginFloodRound, loginFloodRound } from "./login-flood";
import { markdown, summarise } from "./report";
import { ROOT, requireProgram, type Sizes } from "./support";

const FULL: Sizes = {
  rounds: 3,
  seconds: 5,
  connections: 50,
  catchUpEvents: 1_000_000,
  resumeEvents: 100_000,
  floodLogins: 100,
};
const SMOKE: Sizes = {
  rounds: 1,
  seconds: 1,
  connections: 10,
  catchUpEvents: 3000,
  resumeEvents: 500,
  floodLogins: 10,
};

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
  floodLogins: base.floodLogins,
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
  const loginFlood: LoginFloodRound[] = [];
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
      const flood = await loginFloodRound(system.accounts.url, { round, perAddress: sizes.floodLogins });
      loginFlood.push(flood);
      log(`round ${round} login flood ${JSON.stringify(flood)}`);
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

  const results = summarise({
    mode: args.smoke ? "smoke" : "full",
    sizes,
    seconds: (performance.now() - suiteStarted) / 1000,
    runs: { ingest, latency, loginFlood, catchUp, customersRss, accountsRss },
  });
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
