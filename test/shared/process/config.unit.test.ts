import { describe, expect, test } from "bun:test";
import {
  ConfigError,
  customersPublicUrlOf,
  dashboardOriginsOf,
  loadConfig,
  metricsListenerOf,
  redisUrlOf,
} from "../../../shared/process/config";

const errorOf = (env: Record<string, string | undefined>): ConfigError => {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
};

describe("loadConfig", () => {
  test("with an empty environment gives the documented defaults", () => {
    expect(loadConfig({})).toStrictEqual({
      STREAM_KEY: "event-stream",
      DATA_DIR: "./data",
      HOST: "127.0.0.1",
      CUSTOMERS_PORT: 8080,
      ACCOUNTS_PORT: 8090,
      ACCOUNTS_URL: "http://127.0.0.1:8090",
      LOCAL_REDIS_PORT: 6390,
      REDIS_APPENDFSYNC: "everysec",
      TOKEN_TTL_SECONDS: 900,
      REFRESH_TOKEN_TTL_SECONDS: 1_209_600,
      JWKS_CACHE_SECONDS: 60,
      LOGIN_RATE_WINDOW_SECONDS: 300,
      LOGIN_MAX_FAILURES_PER_USER: 10,
      LOGIN_MAX_ATTEMPTS_PER_CLIENT: 100,
      PASSWORD_MIN_LENGTH: 12,
      MAX_NAME_LENGTH: 200,
      MAX_PAGE_SIZE: 200,
      MAX_ACCOUNTS_PER_USER: 100,
      SEED_DEV_USERS: true,
      DEV_USERS: "user1:password1:one,user2:password2:two",
      CONSUMER_BATCH_SIZE: 1000,
      CONSUMER_BLOCK_MS: 2000,
      PARK_TIMEOUT_MS: 300_000,
      SHUTDOWN_GRACE_MS: 10_000,
      MAX_BODY_BYTES: 65_536,
      LOG_FORMAT: "json",
      LOG_LEVEL: "info",
    });
  });

  test("with no REDIS_URL points at the local child server's port", () => {
    expect(redisUrlOf(loadConfig({ LOCAL_REDIS_PORT: "7001" }))).toBe("redis://127.0.0.1:7001");
  });

  test("reads given values, converting numbers and flags, and ignores unrelated variables", () => {
    const config = loadConfig({
      REDIS_URL: "rediss://cache.internal:6380",
      CUSTOMERS_PORT: "9000",
      ACCOUNTS_URL: "https://accounts.internal",
      SEED_DEV_USERS: "0",
      CONSUMER_BLOCK_MS: "250",
      PATH: "/usr/bin",
    });

    expect(config).toMatchObject({
      REDIS_URL: "rediss://cache.internal:6380",
      CUSTOMERS_PORT: 9000,
      ACCOUNTS_URL: "https://accounts.internal",
      SEED_DEV_USERS: false,
      CONSUMER_BLOCK_MS: 250,
    });
    expect(redisUrlOf(config)).toBe("rediss://cache.internal:6380");
    expect(config).not.toHaveProperty("PATH");
  });

  test.each([
    ["true", true],
    ["1", true],
    ["false", false],
    ["0", false],
  ])("reads SEED_DEV_USERS=%s as %p", (value, flag) => {
    expect(loadConfig({ SEED_DEV_USERS: value }).SEED_DEV_USERS).toBe(flag);
  });

  test.each([
    ["CUSTOMERS_PORT", "abc"],
    ["CUSTOMERS_PORT", "70000"],
    ["ACCOUNTS_PORT", "80.5"],
    ["REDIS_URL", "http://x"],
    ["ACCOUNTS_URL", "nope"],
    ["ACCOUNTS_URL", "ftp://accounts.internal"],
    ["SEED_DEV_USERS", "maybe"],
    ["LOG_LEVEL", "verbose"],
    ["CONSUMER_BATCH_SIZE", "0"],
    ["REDIS_APPENDFSYNC", "sometimes"],
    ["PARK_TIMEOUT_MS", "-1"],
    ["DASHBOARD_ORIGIN", "localhost:8090"],
    ["DASHBOARD_ORIGIN", "https://ok.example,javascript:alert(1)"],
    ["CUSTOMERS_PUBLIC_URL", "ftp://customers.example"],
  ])("when %s=%s throws a ConfigError naming that variable", (name, value) => {
    const error = errorOf({ [name]: value });

    expect(error.name).toBe("ConfigError");
    expect(error.message).toMatch(new RegExp(`^  ${name}: `, "m"));
  });

  test("names every bad variable at once, and only those", () => {
    const error = errorOf({ CUSTOMERS_PORT: "abc", REDIS_URL: "http://x", HOST: "0.0.0.0" });
    const named = error.message
      .split("\n")
      .slice(1)
      .map((line) => line.trim().split(":")[0]);

    expect(named.sort()).toEqual(["CUSTOMERS_PORT", "REDIS_URL"]);
  });

  test.each(["CUSTOMERS_PORT", "REDIS_URL", "ACCOUNTS_URL", "SEED_DEV_USERS", "STREAM_KEY"])(
    "treats an empty %s as unset",
    (name) => {
      expect(loadConfig({ [name]: "" })).toStrictEqual(loadConfig({}));
    },
  );

  test("METRICS_TOKEN is 16+ visible ASCII characters; a metrics port listens on METRICS_HOST, else HOST", () => {
    expect(errorOf({ METRICS_TOKEN: "short" }).message).toContain(
      "METRICS_TOKEN: must be at least 16 characters",
    );
    expect(errorOf({ METRICS_TOKEN: "with a space in it, long" }).message).toContain(
      "METRICS_TOKEN: must be visible",
    );
    expect(loadConfig({ METRICS_TOKEN: "0123456789abcdef" }).METRICS_TOKEN).toBe("0123456789abcdef");
    expect(errorOf({ ACCOUNTS_METRICS_PORT: "0" }).message).toContain("ACCOUNTS_METRICS_PORT");

    expect(metricsListenerOf(loadConfig({}), "customers")).toBeNull();
    const config = loadConfig({ HOST: "0.0.0.0", CUSTOMERS_METRICS_PORT: "9464" });
    expect(metricsListenerOf(config, "customers")).toEqual({
      host: "0.0.0.0",
      port: 9464,
      variable: "CUSTOMERS_METRICS_PORT",
    });
    expect(metricsListenerOf(config, "accounts")).toBeNull();
    expect(metricsListenerOf({ ...config, METRICS_HOST: "10.1.2.3" }, "customers")?.host).toBe("10.1.2.3");
  });

  test("treats an undefined variable as unset", () => {
    expect(loadConfig({ CUSTOMERS_PORT: undefined })).toStrictEqual(loadConfig({}));
  });

  test("by default lets the dashboard accounts serves call the services, by either local name", () => {
    const config = loadConfig({ ACCOUNTS_PORT: "9100", CUSTOMERS_PORT: "9101" });
    expect(dashboardOriginsOf(config)).toEqual(["http://127.0.0.1:9100", "http://localhost:9100"]);
    expect(customersPublicUrlOf(config)).toBe("http://127.0.0.1:9101");
  });

  test("reads DASHBOARD_ORIGIN as a comma-separated list of origins and CUSTOMERS_PUBLIC_URL as an origin", () => {
    const config = loadConfig({
      DASHBOARD_ORIGIN: "https://ledger.example.com/, https://admin.example.com:8443",
      CUSTOMERS_PUBLIC_URL: "https://api.example.com/customers/",
    });
    expect(dashboardOriginsOf(config)).toEqual([
      "https://ledger.example.com",
      "https://admin.example.com:8443",
    ]);
    expect(customersPublicUrlOf(config)).toBe("https://api.example.com/customers");
  });
});
