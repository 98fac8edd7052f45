import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { isStreamId } from "../../shared/events/stream-contract";
import { type Config, redisUrlOf } from "../../shared/process/config";
import { createLogger, redacted } from "../../shared/process/log";
import { connectRedis, type Redis, redisTargetOf } from "../../shared/stream/redis";

/** Exit codes of every command: 0 done, 1 failed, 2 bad usage. */
export const DONE = 0;
export const FAILED = 1;
export const BAD_USAGE = 2;

/** Bad arguments: printed on one line with a pointer to the command's usage, exit 2. */
export class UsageError extends Error {}

/** The command could not do its job (not found, refused, unreachable): printed, exit 1. */
export class Failure extends Error {}

/** What a command runs with: the services' configuration and, opened on first use, a Redis connection. */
export type Context = {
  config: Config;
  env: Record<string, string | undefined>;
  redis(): Promise<Redis>;
};

type Run = (args: string[], context: Context) => Promise<number>;

export type Command = {
  /** Shown for `--help`. */
  usage: string;
  run: Run;
};

/** The entry of `table` named `name`, if it has one of its own (not one it inherits, like "constructor"). */
export function entryNamed<T>(table: Record<string, T>, name: string): T | undefined {
  return Object.hasOwn(table, name) ? table[name] : undefined;
}

/**
 * Runs `<command> <subcommand> [arguments]`: the subcommand's own run with the arguments after it; a
 * missing or unknown subcommand is a UsageError.
 */
export function subcommands(command: string, runs: Record<string, Run>): Run {
  const names = Object.keys(runs);
  const choices = `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
  return async (args, context) => {
    const [subcommand, ...rest] = args;
    if (subcommand === undefined) throw new UsageError(`${command} needs a subcommand: ${choices}`);
    const run = entryNamed(runs, subcommand);
    if (!run) throw new UsageError(`unknown ${command} subcommand "${subcommand}"`);
    return run(rest, context);
  };
}

/** How long a command waits for Redis before it says it cannot reach it. */
export const REDIS_REACH_MS = 1000;

/**
 * Resolves once `redis` is ready; rejects at its first connection error (refused, unknown host, wrong
 * password) or after `timeoutMs` (a host that does not answer), so an operator is told at once.
 */
function reachable(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === "ready") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      redis.off("error", onError);
      outcome();
    };
    const onReady = () => settle(resolve);
    const onError = (error: Error) => settle(() => reject(error));
    const timer = setTimeout(
      () => settle(() => reject(new Error(`no answer in ${timeoutMs} ms`))),
      timeoutMs,
    );
    redis.once("ready", onReady);
    redis.once("error", onError);
  });
}

/** Where the commands looked for Redis (its password masked), why it failed, and what to do. */
export function unreachableRedis(config: Config, cause: string): Failure {
  const url = redacted(redisUrlOf(config)) as string;
  const fix = config.REDIS_URL
    ? "check that Redis is running there and that REDIS_URL (and REDIS_TLS_* for rediss://) are right"
    : `start it (npm start runs one on 127.0.0.1:${config.LOCAL_REDIS_PORT}), or set REDIS_URL to your Redis`;
  return new Failure(`cannot reach Redis at ${url} (${cause}): ${fix}`);
}

/** A context whose Redis connection is made only by the commands that need one; `close()` drops it. */
export function createContext(config: Config, env: Record<string, string | undefined>) {
  let connection: Redis | undefined;
  const context: Context = {
    config,
    env,
    async redis() {
      connection ??= connectRedis(redisTargetOf(config), createLogger("ops", "silent"), "ops");
      try {
        await reachable(connection, REDIS_REACH_MS);
      } catch (error) {
        connection.disconnect();
        connection = undefined;
        throw unreachableRedis(config, error instanceof Error ? error.message : String(error));
      }
      return connection;
    },
  };
  return { context, close: () => connection?.disconnect() };
}

/** Prints rows as columns, each as wide as its widest cell, the first row as the header. */
export function printTable(rows: string[][]): void {
  const widths = rows[0]?.map((_, column) => Math.max(...rows.map((row) => row[column]?.length ?? 0))) ?? [];
  for (const row of rows) {
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join("  ")
        .trimEnd(),
    );
  }
}

/** Parses a command's options strictly; anything unknown or malformed is a UsageError. */
export function parseOptions<T extends ParseArgsOptionsConfig>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Exactly one positional argument per name; a missing or extra one is a UsageError naming it. */
export function positionals(values: string[], names: string[]): string[] {
  if (values.length < names.length) throw new UsageError(`missing ${names.slice(values.length).join(", ")}`);
  if (values.length > names.length) throw new UsageError(`unexpected argument "${values[names.length]}"`);
  return values;
}

export function positiveInteger(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new UsageError(`${option} must be a positive integer`);
  return Number(value);
}

/** A Redis stream ID as an operator types it (`1732425600000-0`). */
export function streamId(value: string, what: string): string {
  if (!isStreamId(value)) throw new UsageError(`${what} must be a stream entry ID like 1732425600000-0`);
  return value;
}

/** "3s", "4m 05s", "2h 01m", "3d 04h": how long ago `iso` was, for a person to read. */
export function ageOf(iso: string, now: Date): string {
  const seconds = Math.max(0, Math.floor((now.getTime() - Date.parse(iso)) / 1000));
  if (Number.isNaN(seconds)) return "unknown";
  const pad = (n: number) => String(n).padStart(2, "0");
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h ${pad(Math.floor(seconds / 60) % 60)}m`;
  return `${Math.floor(seconds / 86_400)}d ${pad(Math.floor(seconds / 3600) % 24)}h`;
}
