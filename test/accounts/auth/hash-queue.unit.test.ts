import { describe, expect, test } from "bun:test";
import { createHashQueue, type HashQueueLimits } from "../../../accounts/auth/hash-queue";
import { TooManyRequestsError } from "../../../shared/http/errors";

/**
 * A queue whose hashes are held until the test finishes them: `submit` records when each one starts,
 * `finishOldest` ends the oldest running one and lets the queue start the next.
 */
function heldQueue(limits: Partial<HashQueueLimits> = {}) {
  const queue = createHashQueue({ concurrency: 1, maxWaitingPerClient: 10, retryAfterSeconds: 1, ...limits });
  const started: string[] = [];
  const running: (() => void)[] = [];
  const settled: Promise<unknown>[] = [];
  return {
    queue,
    started,
    submit(client: string, name: string): Promise<string> {
      const done = queue.run(client, async () => {
        started.push(name);
        await new Promise<void>((finish) => running.push(finish));
        return name;
      });
      settled.push(done.catch(() => undefined));
      return done;
    },
    async finishOldest(): Promise<void> {
      running.shift()?.();
      // The next hash starts once the finished one's promise has settled: a few microtasks.
      for (let i = 0; i < 10; i++) await Promise.resolve();
    },
    async finishAll(): Promise<void> {
      while (running.length > 0) await this.finishOldest();
      await Promise.all(settled);
    },
  };
}

describe("the hash queue", () => {
  test("serves the clients with hashes waiting in turn, not in order of arrival", async () => {
    const held = heldQueue();
    for (const name of ["a1", "a2", "a3", "a4"]) held.submit("A", name);
    held.submit("B", "b1");
    held.submit("C", "c1");
    held.submit("B", "b2");
    await held.finishAll();
    // First come first served would give a1 a2 a3 a4 b1 c1 b2.
    expect(held.started).toEqual(["a1", "a2", "b1", "c1", "a3", "b2", "a4"]);
  });

  test("a quiet client waits for one hash of each busy client ahead of it, however many they queued", async () => {
    const held = heldQueue({ concurrency: 2 });
    for (let i = 0; i < 10; i++) {
      held.submit("flood-1", `f1-${i}`);
      held.submit("flood-2", `f2-${i}`);
    }
    held.submit("quiet", "quiet");
    await held.finishAll();
    expect(held.started.indexOf("quiet")).toBeLessThanOrEqual(4);
  });

  test("runs at most `concurrency` hashes at once", async () => {
    const held = heldQueue({ concurrency: 2 });
    for (const name of ["a1", "a2", "b1", "c1"]) held.submit(name[0] as string, name);
    expect(held.queue.load()).toEqual({ running: 2, waiting: { b: 1, c: 1 } });
    expect(held.started).toEqual(["a1", "a2"]);
    await held.finishOldest();
    expect(held.queue.load()).toEqual({ running: 2, waiting: { c: 1 } });
    await held.finishAll();
    expect(held.queue.load()).toEqual({ running: 0, waiting: {} });
  });

  test("refuses a client's hash at once (429, Retry-After) when it already has the most waiting", async () => {
    const held = heldQueue({ maxWaitingPerClient: 2, retryAfterSeconds: 3 });
    const accepted = ["a1", "a2", "a3"].map((name) => held.submit("A", name));
    const refused = await held.submit("A", "a4").catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(TooManyRequestsError);
    expect(refused).toMatchObject({ status: 429, retryAfterSeconds: 3 });
    // Another client is not affected, and A's turn comes again once one of its hashes has run.
    const other = held.submit("B", "b1");
    await held.finishOldest();
    const again = held.submit("A", "a5");
    await held.finishAll();
    expect(await Promise.all([...accepted, other, again])).toEqual(["a1", "a2", "a3", "b1", "a5"]);
  });

  test("a hash that fails frees its slot for the next", async () => {
    const queue = createHashQueue({ concurrency: 1, maxWaitingPerClient: 10, retryAfterSeconds: 1 });
    const failing = queue.run("A", async () => {
      throw new Error("argon2 failed");
    });
    const next = queue.run("B", async () => "b1");
    expect(await failing.catch((error: Error) => error.message)).toBe("argon2 failed");
    expect(await next).toBe("b1");
    expect(queue.load()).toEqual({ running: 0, waiting: {} });
  });
});
