import { join } from "node:path";
import { ROOT, requireProgram, runToExit } from "./support";

export type WrkResult = {
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  /** Responses other than 2xx/3xx, and connect/read/write/timeout errors. */
  statusErrors: number;
  socketErrors: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
};

/**
 * Runs wrk (one thread, leaving the other core to the system) against `url` with bench/invoices.lua, the
 * same request script for the subject and the baseline.
 */
export async function runWrk(options: {
  url: string;
  connections: number;
  seconds: number;
  token: string;
  customers: string[];
  keyPrefix: string;
  delayMs?: number;
}): Promise<WrkResult> {
  const wrk = requireProgram("wrk", "wrk");
  const {
    stdout: out,
    stderr: err,
    code,
  } = await runToExit(
    [
      wrk,
      "-t1",
      `-c${options.connections}`,
      `-d${options.seconds}s`,
      "--timeout",
      "10s",
      "-s",
      join(ROOT, "bench", "invoices.lua"),
      options.url,
    ],
    {
      env: {
        ...process.env,
        BENCH_TOKEN: options.token,
        BENCH_CUSTOMERS: options.customers.join(","),
        BENCH_KEY_PREFIX: options.keyPrefix,
        BENCH_DELAY_MS: String(options.delayMs ?? 0),
      },
    },
  );
  const line = out.split("\n").find((text) => text.startsWith("BENCH_JSON "));
  if (code !== 0 || !line) throw new Error(`wrk failed (exit ${code}): ${err || out}`);
  const raw = JSON.parse(line.slice("BENCH_JSON ".length)) as {
    requests: number;
    duration_us: number;
    status_errors: number;
    socket_errors: number;
    p50_us: number;
    p99_us: number;
    max_us: number;
  };
  const seconds = raw.duration_us / 1e6;
  return {
    requests: raw.requests,
    seconds,
    requestsPerSecond: raw.requests / seconds,
    statusErrors: raw.status_errors,
    socketErrors: raw.socket_errors,
    p50Ms: raw.p50_us / 1000,
    p99Ms: raw.p99_us / 1000,
    maxMs: raw.max_us / 1000,
  };
}
