import { z } from "zod";

const port = z.coerce.number().int().min(1).max(65535);
const flag = z.enum(["true", "false", "1", "0"]).transform((value) => value === "true" || value === "1");
const positiveInt = z.coerce.number().int().positive();

const configSchema = z.object({
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// or rediss:// URL")
    .optional(),
  STREAM_KEY: z.string().min(1).default("event-stream"),
  DATA_DIR: z.string().min(1).default("./data"),
  HOST: z.string().min(1).default("127.0.0.1"),
  CUSTOMERS_PORT: port.default(8080),
  ACCOUNTS_PORT: port.default(8090),
  ACCOUNTS_URL: z
    .url({ protocol: /^https?$/, error: "must be an http(s) URL" })
    .default("http://127.0.0.1:8090"),
  LOCAL_REDIS_PORT: port.default(6390),
  REDIS_APPENDFSYNC: z.enum(["always", "everysec", "no"]).default("everysec"),
  TOKEN_TTL_SECONDS: positiveInt.default(3600),
  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  SEED_DEV_USERS: flag.default(true),
  DEV_USERS: z.string().default("user1:password1:one,user2:password2:two"),
  CONSUMER_BATCH_SIZE: positiveInt.max(10_000).default(1000),
  CONSUMER_BLOCK_MS: positiveInt.max(60_000).default(2000),
  PARK_TIMEOUT_MS: positiveInt.default(300_000),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  MAX_BODY_BYTES: positiveInt.default(65_536),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Reads the configuration from an environment map; throws a ConfigError naming each bad variable. */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ""),
  );
  const result = configSchema.safeParse(present);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${issue.path.join(".")}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
}

/** The Redis URL a service connects to when none is configured: the local child server `bun run start` starts. */
export function redisUrlOf(config: Config): string {
  return config.REDIS_URL ?? `redis://127.0.0.1:${config.LOCAL_REDIS_PORT}`;
}
