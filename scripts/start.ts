import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import {
  type Config,
  ConfigError,
  loadConfig,
  metricsListenerOf,
  redisUrlOf,
} from "../shared/process/config";
import { PARENT_PID_VARIABLE, stopWithLauncher } from "../shared/process/parent";
import { describePortRefusal, portRefusal } from "../shared/process/ports";
import { currentRuntime, runtimeCommand, serviceEnvironment } from "../shared/process/runtime";
import {
  RedisServerMissingError,
  type RedisServerProcess,
  RedisServerStartError,
  spawnRedisServer,
} from "./redis-server";

// Runs the whole system for development: a local redis-server (unless REDIS_URL is set) and both services,
// under the runtime running this script (npm start: Bun; npm run start:node, start:deno). A signal to any
// process of the tree, or the death of any of them, stops all of it.
const root = join(import.meta.dirname, "..");
// Owner-only for what Redis writes under DATA_DIR (its AOF), like the services' own files.
process.umask(0o077);
/** Past the services' own grace period, a service still running is killed. */
const KILL_MARGIN_MS = 2000;

function fail(message: string): never {
  process.stderr.write(`start: ${message}\n`);
  process.exit(1);
}

let config: Config;
try {
  config = loadConfig(process.env);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}

/** The ports this run listens on, each with the variable that moves it. */
function portsOf(config: Config) {
  const ports = [
    { port: config.ACCOUNTS_PORT, host: config.HOST, variable: "ACCOUNTS_PORT", alsoSet: accountsUrl },
    { port: config.CUSTOMERS_PORT, host: config.HOST, variable: "CUSTOMERS_PORT" },
  ];
  for (const service of ["accounts", "customers"] as const) {
    const metrics = metricsListenerOf(config, service);
    if (metrics) ports.push(metrics);
  }
  if (config.REDIS_URL) return ports;
  return [{ port: config.LOCAL_REDIS_PORT, host: "127.0.0.1", variable: "LOCAL_REDIS_PORT" }, ...ports];
}
const accountsUrl = (port: number) => `ACCOUNTS_URL=http://127.0.0.1:${port}`;

// Before anything starts: a taken port is named with what holds it, rather than a child's exit code.
for (const check of portsOf(config)) {
  const code = await portRefusal(check.host, check.port);
  if (code !== null) fail(describePortRefusal({ ...check, code }));
}

// The dashboard's script, fresh from web/ (npm install builds it too; the services only read it). The
// bundler is Bun's, whichever runtime runs this script.
const [bundler, ...buildArgs] = runtimeCommand("bun", join(root, "scripts", "build-web.ts"));
try {
  execFileSync(bundler as string, buildArgs, { stdio: ["ignore", "inherit", "inherit"] });
} catch (error) {
  fail(`could not build the dashboard (web/): ${String(error)}`);
}

let redis: RedisServerProcess | null = null;
if (!config.REDIS_URL) {
  try {
    redis = await spawnRedisServer({
      port: config.LOCAL_REDIS_PORT,
      dir: join(config.DATA_DIR, "redis"),
      appendfsync: config.REDIS_APPENDFSYNC,
      logFile: "redis.log",
      portVariable: "LOCAL_REDIS_PORT",
    });
  } catch (error) {
    const plain = error instanceof RedisServerMissingError || error instanceof RedisServerStartError;
    fail(plain ? (error as Error).message : `could not start redis-server: ${String(error)}`);
  }
  console.log(
    `redis-server on 127.0.0.1:${config.LOCAL_REDIS_PORT}, AOF under ${join(config.DATA_DIR, "redis")}`,
  );
}

const runtime = currentRuntime();
const env = {
  ...process.env,
  ...serviceEnvironment(runtime, process.env),
  REDIS_URL: redisUrlOf(config),
  LOG_FORMAT: process.env.LOG_FORMAT || (process.stderr.isTTY ? "pretty" : "json"),
  // Each service stops by itself if this process dies without stopping it.
  [PARENT_PID_VARIABLE]: String(process.pid),
};

type Child = { name: string; exited: Promise<number | null>; kill(signal: NodeJS.Signals): void };

function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    child.once("exit", (code) => resolve(code));
    child.once("error", () => resolve(-1));
  });
}

const services: Child[] = ["accounts", "customers"].map((name) => {
  const [command, ...args] = runtimeCommand(runtime, join(root, name, "main.ts")) as [string, ...string[]];
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
  return { name, exited: exitOf(child), kill: (signal) => void child.kill(signal) };
});
const children: Child[] = redis ? [...services, { name: "redis-server", ...redis }] : services;
console.log(
  `accounts on http://${config.HOST}:${config.ACCOUNTS_PORT}, customers on http://${config.HOST}:${config.CUSTOMERS_PORT} (${runtime}); Ctrl-C stops everything`,
);

/** SIGTERM, then SIGKILL if it outlives `graceMs`. */
async function stopChild(child: Child, graceMs: number): Promise<void> {
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await child.exited;
  clearTimeout(timer);
}

let stopping: Promise<never> | null = null;
/**
 * The services first (they drain, and publish their outbox while Redis is still up), then Redis. Asked
 * again meanwhile (a second signal), it goes on with the stop under way rather than exiting early.
 */
function stopAll(code: number): Promise<never> {
  stopping ??= (async () => {
    await Promise.all(
      services.map((service) => stopChild(service, config.SHUTDOWN_GRACE_MS + KILL_MARGIN_MS)),
    );
    if (redis) await stopChild({ name: "redis-server", ...redis }, KILL_MARGIN_MS);
    process.exit(code);
  })();
  return stopping;
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
stopWithLauncher(process.env, () => {
  process.stderr.write("start: the process that started this one is gone; stopping everything\n");
  void stopAll(1);
});
for (const child of children) {
  void child.exited.then((code) => {
    if (stopping !== null) return;
    // Exit code 0: it was told to stop (a signal sent to it alone); anything else is a failure.
    const how = code === 0 ? "stopped" : code === null ? "was killed" : `exited with code ${code}`;
    process.stderr.write(`start: ${child.name} ${how}; stopping everything\n`);
    void stopAll(code === 0 ? 0 : 1);
  });
}
