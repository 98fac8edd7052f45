import { afterEach } from "bun:test";
import { startRedis, type TestRedis } from "./resources";
import { startSystem, type TestSystem } from "./services";

/**
 * Starts Redis servers and systems for one test at a time and stops them, and runs whatever else was
 * deferred, after each test, newest first (registers the afterEach).
 */
export function stoppedAfterEachTest() {
  const undo: (() => unknown)[] = [];
  afterEach(async () => {
    for (const step of undo.splice(0).reverse()) await step();
  });
  return {
    async redis(options?: Parameters<typeof startRedis>[0]): Promise<TestRedis> {
      const redis = await startRedis(options);
      undo.push(() => redis.stop());
      return redis;
    },
    async system(redis: TestRedis, extraEnv?: Record<string, string>): Promise<TestSystem> {
      const system = await startSystem(redis, extraEnv);
      undo.push(() => system.stop());
      return system;
    },
    defer(...steps: (() => unknown)[]): void {
      undo.push(...steps);
    },
  };
}
