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
  /** Origins (comma-separated) allowed to call the services from a browser; default the dashboard's own. */
  DASHBOARD_ORIGIN: z
    .string()
    .transform((value) => value.split(",").map((origin) => origin.trim()))
    .pipe(z.array(z.url({ protocol: /^https?$/, error: "must be http(s) origins, comma-separated" })))
    .optional(),
  /** The customers service's URL as a browser reaches it (the dashboard's forms post there). */
  CUSTOMERS_PUBLIC_URL: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
  LOCAL_REDIS_PORT: port.default(6390),
  REDIS_APPENDFSYNC: z.enum(["always", "everysec", "no"]).default("everysec"),
  REDIS_TLS_CA: z.string().min(1).optional(),
  REDIS_TLS_CERT: z.string().min(1).optional(),
  REDIS_TLS_KEY: z.string().min(1).optional(),
  TOKEN_TTL_SECONDS: positiveInt.max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.max(365 * 86_400).default(14 * 86_400),
  JWT_PRIVATE_KEY: z.string().min(1).optional(),
  JWT_PREVIOUS_KEY: z.string().min(1).optional(),
  JWKS_CACHE_SECONDS: positiveInt.max(3600).default(60),
  LOGIN_RATE_WINDOW_SECONDS: positiveInt.default(300),
  LOGIN_MAX_FAILURES_PER_USER: positiveInt.default(10),
  LOGIN_MAX_ATTEMPTS_PER_CLIENT: positiveInt.default(100),
  CLIENT_IP_HEADER: z
    .string()
    .regex(/^[A-Za-z0-9-]+$/, "must be a header name")
    .transform((name) => name.toLowerCase())
    .optional(),
  PASSWORD_MIN_LENGTH: positiveInt.min(8).max(128).default(12),
  MAX_NAME_LENGTH: positiveInt.max(10_000).default(200),
  MAX_PAGE_SIZE: positiveInt.max(1000).default(200),
  MAX_ACCOUNTS_PER_USER: positiveInt.max(100_000).default(100),
  SEED_DEV_USERS: flag.default(true),
  DEV_USERS: z.string().default("user1:password1:one,user2:password2:two"),
  CONSUMER_BATCH_SIZE: positiveInt.max(10_000).default(1000),
  CONSUMER_BLOCK_MS: positiveInt.max(60_000).default(2000),
  PARK_TIMEOUT_MS: positiveInt.default(300_000),
  SHUTDOWN_GRACE_MS: positiveInt.default(10_000),
  MAX_BODY_BYTES: positiveInt.default(65_536),
  LOG_FORMAT: z.enum(["json", "pretty"]).default("json"),
  LOG_LEVEL: z.enum(["debug", "info", "warn", "error", "silent"]).default("info"),
  /** A bearer token GET /metrics then requires (Prometheus' `authorization` credentials); unset, it is open. */
  METRICS_TOKEN: z
    .string()
    .min(16, "must be at least 16 characters")
    .regex(/^[\x21-\x7e]+$/, "must be visible ASCII, no spaces")
    .optional(),
  /** Where a service serves /metrics on a listener of its own (then not on its API port). */
  METRICS_HOST: z.string().min(1).optional(),
  CUSTOMERS_METRICS_PORT: port.optional(),
  ACCOUNTS_METRICS_PORT: port.optional(),
});

const checkedConfigSchema = configSchema.superRefine((config, context) => {
  const tlsFiles = (["REDIS_TLS_CA", "REDIS_TLS_CERT", "REDIS_TLS_KEY"] as const).filter(
    (name) => config[name],
  );
  if (tlsFiles.length > 0 && !config.REDIS_URL?.startsWith("rediss://")) {
    for (const name of tlsFiles) {
      context.addIssue({ code: "custom", path: [name], message: "needs a rediss:// REDIS_URL" });
    }
  }
  if (Boolean(config.REDIS_TLS_CERT) !== Boolean(config.REDIS_TLS_KEY)) {
    context.addIssue({
      code: "custom",
      path: [config.REDIS_TLS_CERT ? "REDIS_TLS_KEY" : "REDIS_TLS_CERT"],
      message: "REDIS_TLS_CERT and REDIS_TLS_KEY go together (a client certificate and its key)",
    });
  }
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
  const result = checkedConfigSchema.safeParse(present);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
  throw new ConfigError(`invalid configuration:\n${lines.join("\n")}`);
}

/**
 * The listener of its own a service serves /metrics on, when its METRICS_PORT variable is set: on
 * METRICS_HOST, else HOST. Null: /metrics is served on the service's own port.
 */
export function metricsListenerOf(
  config: Config,
  service: "customers" | "accounts",
): { host: string; port: number; variable: string } | null {
  const variable = service === "customers" ? "CUSTOMERS_METRICS_PORT" : "ACCOUNTS_METRICS_PORT";
  const port = config[variable];
  return port === undefined ? null : { host: config.METRICS_HOST ?? config.HOST, port, variable };
}

/** The Redis URL a service connects to when none is configured: the local child server `bun run start` starts. */
export function redisUrlOf(config: Config): string {
  return config.REDIS_URL ?? `redis://127.0.0.1:${config.LOCAL_REDIS_PORT}`;
}

/**
 * The origins whose pages may call the services (CORS): DASHBOARD_ORIGIN, else the dashboard accounts
 * serves, by either local name.
 */
export function dashboardOriginsOf(config: Config): string[] {
  if (config.DASHBOARD_ORIGIN) return config.DASHBOARD_ORIGIN.map((url) => new URL(url).origin);
  return [`http://127.0.0.1:${config.ACCOUNTS_PORT}`, `http://localhost:${config.ACCOUNTS_PORT}`];
}

/** Where the dashboard's browser finds customers: CUSTOMERS_PUBLIC_URL, else the local port. */
export function customersPublicUrlOf(config: Config): string {
  return (config.CUSTOMERS_PUBLIC_URL ?? `http://127.0.0.1:${config.CUSTOMERS_PORT}`).replace(/\/+$/, "");
}
