import { login } from "./api";
import { beforeAllTests, cleanupAfterEach } from "./lifecycle";
import { type RedisOptions, startRedis, type TestRedis } from "./resources";
import { settled, startSystem, type TestSystem } from "./services";

/** The development users accounts seeds on its first start, with their passwords. */
const DEVELOPMENT_PASSWORDS = { user1: "password1", user2: "password2" } as const;
export type DevelopmentUser = keyof typeof DEVELOPMENT_PASSWORDS;

/** Both services as processes, with the Redis they share. */
export type System = TestSystem & {
  redis: TestRedis;
  /** An access token of a development user (user1 unless named), by logging in. */
  login(username?: DevelopmentUser): Promise<string>;
  /** Waits until every outbox is published and every consumer stands at the stream's last entry. */
  settled(): Promise<string>;
};

/** `env`: more environment for both services; `redis`: how the Redis server is started. */
export type SystemOptions = { env?: Record<string, string>; redis?: RedisOptions };

function systemOn(redis: TestRedis, system: TestSystem): System {
  return {
    ...system,
    redis,
    login: (username = "user1") => login(system.accounts.url, username, DEVELOPMENT_PASSWORDS[username]),
    settled: () => settled(system, redis.client),
  };
}

async function startSettledSystem(options: SystemOptions): Promise<System> {
  const redis = await startRedis(options.redis);
  let system: System | undefined;
  try {
    system = systemOn(redis, await startSystem(redis, options.env));
    // Settled, customers knows the accounts seeded at accounts' start.
    await system.settled();
    return system;
  } catch (error) {
    await system?.stop();
    await redis.stop();
    throw error;
  }
}

/**
 * Redis and both services as processes, started and settled before the tests of the file (or describe
 * block) and stopped after them. The returned object stands in for the system inside tests and hooks.
 */
export function useSystem(options: SystemOptions = {}): System {
  return beforeAllTests(
    () => startSettledSystem(options),
    async (system) => {
      await system.stop();
      await system.redis.stop();
    },
  );
}

/** Systems (and Redis servers, and anything deferred) a test starts for itself, stopped after each test. */
export function systemPerTest() {
  const cleanup = cleanupAfterEach();
  const redis = async (options?: RedisOptions): Promise<TestRedis> => {
    const started = await startRedis(options);
    cleanup.push(() => started.stop());
    return started;
  };
  const system = async (on: TestRedis, env?: Record<string, string>): Promise<System> => {
    const started = await startSystem(on, env);
    cleanup.push(() => started.stop());
    return systemOn(on, started);
  };
  return {
    redis,
    /** Both services on `on`, not waited on beyond their /health (Redis may be down). */
    system,
    /** Redis and both services, settled. */
    async start(options: SystemOptions = {}): Promise<System> {
      const started = await system(await redis(options.redis), options.env);
      await started.settled();
      return started;
    },
    defer: cleanup.push,
  };
}
