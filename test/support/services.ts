import { openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type Redis from "ioredis";
import { PARENT_PID_VARIABLE } from "../../shared/process/parent";
import { parseRuntime, runtimeCommand, serviceEnvironment } from "../../shared/process/runtime";
import { eventually, freePort, type TestRedis, tempDir } from "./resources";

const ROOT = join(import.meta.dir, "..", "..");

/** The runtime the services run on in system tests: SERVICE_RUNTIME=bun|node|deno (default bun). */
export const SERVICE_RUNTIME = parseRuntime(process.env.SERVICE_RUNTIME, "bun", "SERVICE_RUNTIME");

/** The command line that runs a service's (or script's) TypeScript file under SERVICE_RUNTIME. */
export function serviceCommand(script: string): string[] {
  return runtimeCommand(SERVICE_RUNTIME, script);
}

export type ServiceName = "customers" | "accounts";

export type RunningService = {
  name: ServiceName;
  url: string;
  logFile: string;
  /** Sends a signal and waits for the process to exit; resolves with its exit code. */
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /** Starts the process again with the same environment (same port, database and stream). */
  restart(): Promise<void>;
};

/** Spawns `<name>/main.ts` under SERVICE_RUNTIME with `env` over this process's environment, output piped. */
export function spawnService(name: ServiceName, env: Record<string, string>) {
  return Bun.spawn(serviceCommand(join(ROOT, name, "main.ts")), {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
}

/** Spawns `<name>/main.ts` as a real process under SERVICE_RUNTIME and waits until its /health names it. */
export async function startService(name: ServiceName, env: Record<string, string>): Promise<RunningService> {
  const port = Number(env[name === "customers" ? "CUSTOMERS_PORT" : "ACCOUNTS_PORT"]);
  const url = `http://127.0.0.1:${port}`;
  const logFile = join(env.DATA_DIR ?? ROOT, `${name}.log`);
  let child: Subprocess;

  const launch = async () => {
    const log = openSync(logFile, "a");
    child = Bun.spawn(serviceCommand(join(ROOT, name, "main.ts")), {
      cwd: ROOT,
      env: {
        ...process.env,
        ...serviceEnvironment(SERVICE_RUNTIME, process.env),
        LOG_LEVEL: "info",
        // A test run that dies leaves no service behind.
        [PARENT_PID_VARIABLE]: String(process.pid),
        ...env,
      },
      stdout: log,
      stderr: log,
    });
    const started = child;
    await eventually(`${name} to answer /health`, async () => {
      if (child.exitCode !== null) {
        // The log goes with the temp dir when the test stops: its end is kept in the error.
        const tail = readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n");
        throw new Error(`${name} exited with ${child.exitCode}; the end of ${logFile}:\n${tail}`);
      }
      const response = await fetch(`${url}/health`);
      const body = (await response.json()) as { service?: string; runtime?: { name: string } };
      if (body.service === name && body.runtime?.name !== SERVICE_RUNTIME) {
        throw new Error(`${name} runs on ${body.runtime?.name}, not on SERVICE_RUNTIME ${SERVICE_RUNTIME}`);
      }
      return body.service === name;
    }).catch(async (error: unknown) => {
      // A service that never answered is not left running behind the failed test.
      started.kill("SIGKILL");
      await started.exited;
      throw error;
    });
  };
  await launch();

  return {
    name,
    url,
    logFile,
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return child.exited;
    },
    restart: launch,
  };
}

export type TestSystem = {
  accounts: RunningService;
  customers: RunningService;
  env: Record<string, string>;
  streamKey: string;
  dataDir: string;
  stop(): Promise<void>;
};

/** Both services as processes on free ports, their databases in a fresh temp dir, on the given Redis. */
export async function startSystem(
  redis: TestRedis,
  extraEnv: Record<string, string> = {},
): Promise<TestSystem> {
  const dir = tempDir("streamledger-system-");
  const accountsPort = freePort();
  const streamKey = `stream-${crypto.randomUUID()}`;
  const env = {
    REDIS_URL: redis.url,
    STREAM_KEY: streamKey,
    DATA_DIR: dir.path,
    ACCOUNTS_PORT: String(accountsPort),
    CUSTOMERS_PORT: String(freePort()),
    ACCOUNTS_URL: `http://127.0.0.1:${accountsPort}`,
    CONSUMER_BLOCK_MS: "500",
    ...extraEnv,
  };
  const accounts = await startService("accounts", env).catch((error: unknown) => {
    dir.remove();
    throw error;
  });
  const customers = await startService("customers", env).catch(async (error: unknown) => {
    await accounts.kill("SIGKILL");
    dir.remove();
    throw error;
  });
  return {
    accounts,
    customers,
    env,
    streamKey,
    dataDir: dir.path,
    async stop() {
      await Promise.all([customers.kill("SIGTERM"), accounts.kill("SIGTERM")]);
      dir.remove();
    },
  };
}

type Health = {
  status: string;
  consumer: { position: string; parked: number; duplicates: number; gap: unknown };
  outbox: { count: number };
};

export async function health(service: RunningService): Promise<Health> {
  return (await (await fetch(`${service.url}/health`)).json()) as Health;
}

/** A metric's value from the service's /metrics (the first series with `labels`); NaN if there is none. */
export async function metricValue(
  service: RunningService,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split("\n")
    .find((row) => row.startsWith(`${name}{`) && wanted.every((label) => row.includes(label)));
  return line === undefined ? Number.NaN : Number(line.split(" ").at(-1));
}

/** The status of the service's /health/ready: 200 ready, 503 not. */
export async function readiness(service: RunningService): Promise<number> {
  return (await fetch(`${service.url}/health/ready`)).status;
}

/** The service's log so far, one JSON object a line (a line still being written throws: poll it). */
export function logLines(service: RunningService): Record<string, unknown>[] {
  return readFileSync(service.logFile, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/**
 * Waits until every service has published its outbox and every consumer stands at the stream's last
 * entry: all that was acknowledged is then visible in every read model.
 */
export function settled(system: TestSystem, redis: Redis): Promise<string> {
  return caughtUp([system.customers, system.accounts], redis, system.streamKey);
}

/** Waits until the given services have empty outboxes and consumers at the last entry of `streamKey`. */
export async function caughtUp(services: RunningService[], redis: Redis, streamKey: string): Promise<string> {
  return eventually(
    `${services.map((service) => service.name).join(" and ")} to settle on ${streamKey}`,
    async () => {
      const states = await Promise.all(services.map(health));
      if (states.some((state) => state.outbox.count > 0)) return undefined;
      const last = await redis.xrevrange(streamKey, "+", "-", "COUNT", 1);
      const lastId = last[0]?.[0] ?? "0-0";
      return states.every((state) => state.consumer.position === lastId) ? lastId : undefined;
    },
  );
}
