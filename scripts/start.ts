import { execFileSync, spawn } from "node:child_process";
import { join } from "node:path";
import { ConfigError, loadConfig, redisUrlOf } from "../shared/process/config";
import { currentRuntime, runtimeCommand, serviceEnvironment } from "../shared/process/runtime";
import { RedisServerMissingError, type RedisServerProcess, spawnRedisServer } from "./redis-server";

// Runs the whole system for development: a local redis-server (unless REDIS_URL is set) and both services,
// under the runtime running this script (npm start: Bun; npm run start:node, start:deno).
const root = join(import.meta.dirname, "..");
// Owner-only for what Redis writes under DATA_DIR (its AOF), like the services' own files.
process.umask(0o077);

function fail(message: string): never {
  process.stderr.write(`start: ${message}\n`);
  process.exit(1);
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
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
    });
  } catch (error) {
    fail(
      error instanceof RedisServerMissingError
        ? error.message
        : `could not start redis-server: ${String(error)}`,
    );
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
};
const services = ["accounts", "customers"].map((name) => {
  const [command, ...args] = runtimeCommand(runtime, join(root, name, "main.ts")) as [string, ...string[]];
  const child = spawn(command, args, { cwd: root, env, stdio: ["ignore", "inherit", "inherit"] });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { kill: (signal: NodeJS.Signals) => child.kill(signal), exited };
});
console.log(
  `accounts on http://${config.HOST}:${config.ACCOUNTS_PORT}, customers on http://${config.HOST}:${config.CUSTOMERS_PORT} (${runtime}); Ctrl-C stops everything`,
);

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const service of services) service.kill("SIGTERM");
    await Promise.all(services.map((service) => service.exited));
    redis?.kill("SIGTERM");
    await redis?.exited;
  }
  process.exit(code);
}

process.on("SIGINT", () => void stopAll(0));
process.on("SIGTERM", () => void stopAll(0));
for (const service of services) {
  void service.exited.then((code) => {
    if (!stopping) {
      process.stderr.write(`start: a service exited with code ${code}; stopping everything\n`);
      void stopAll(1);
    }
  });
}
redis?.exited.then((code) => {
  if (!stopping) {
    process.stderr.write(`start: redis-server exited with code ${code}; stopping everything\n`);
    void stopAll(1);
  }
});
