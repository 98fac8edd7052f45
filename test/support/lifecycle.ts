import { afterAll, afterEach, beforeAll } from "bun:test";

type Step = () => unknown;

/** Steps to run after each test, newest first (registers the afterEach); `push` adds them. */
export function cleanupAfterEach(): { push(...steps: Step[]): void } {
  const steps: Step[] = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return {
    push(...added) {
      steps.push(...added);
    },
  };
}

/**
 * What `start` gives, started before the tests of the file (or of the describe block this is called in)
 * and stopped after them. The returned object stands in for it: read it only inside tests and hooks.
 */
export function beforeAllTests<T extends object>(
  start: () => Promise<T>,
  stop: (started: T) => unknown,
  timeoutMs = 60_000,
): T {
  let current: T | undefined;
  beforeAll(async () => {
    current = await start();
  }, timeoutMs);
  afterAll(async () => {
    const started = current;
    current = undefined;
    if (started) await stop(started);
  }, timeoutMs);
  return new Proxy({} as T, {
    get(_, key) {
      // Not a promise: `await` on it must not read it early.
      if (key === "then") return undefined;
      if (current === undefined) throw new Error(`read outside the tests it was started for: ${String(key)}`);
      const value: unknown = Reflect.get(current, key);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
}
