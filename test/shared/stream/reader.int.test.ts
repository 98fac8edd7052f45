import { afterEach, describe, expect, test } from "bun:test";
import { createLogger } from "../../../shared/process/log";
import { createStreamReader, StalledReadError } from "../../../shared/stream/reader";
import { connectRedis } from "../../../shared/stream/redis";
import { startProxy } from "../../support/proxy";
import { eventually, startRedis, uniqueStreamKey } from "../../support/resources";

const logger = createLogger("test", "silent");
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe("the stream reader's watchdog", () => {
  test("a read that hangs (the connection goes silent) fails as stalled, and reading recovers without a restart", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const proxy = startProxy(redis.port);
    cleanups.push(() => proxy.stop());
    const streamKey = uniqueStreamKey();
    const reader = createStreamReader({
      connect: () =>
        connectRedis(`redis://127.0.0.1:${proxy.port}`, logger, "watched-reader", { blocking: true }),
      streamKey,
      count: 10,
      blockMs: 200,
      stallMs: 300,
    });
    cleanups.push(() => reader.close());

    const first = await redis.client.xadd(streamKey, "*", "n", "1");
    expect((await reader.read("0-0")).map((entry) => entry.id)).toEqual([first as string]);

    // The reader's connection goes silent for good: only a replacement connection can read again.
    proxy.silenceExisting();
    const hung = await reader.read(first as string).catch((error: unknown) => error);
    expect(hung).toBeInstanceOf(StalledReadError);

    const second = await redis.client.xadd(streamKey, "*", "n", "2");
    const recovered = await eventually("the reader to read again", async () => {
      const entries = await reader.read(first as string).catch(() => []);
      return entries.length > 0 ? entries : undefined;
    });
    expect(recovered.map((entry) => entry.id)).toEqual([second as string]);
  });
});

describe("closing the stream reader", () => {
  test("ends a read in flight on a connection Redis dropped at once, not when its watchdog fires", async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const reader = createStreamReader({
      connect: () => connectRedis(redis.url, logger, "closed-reader", { blocking: true }),
      streamKey: uniqueStreamKey(),
      count: 10,
      // Blocked for long, with a watchdog later still: the read below can end in time only by the close.
      blockMs: 60_000,
      stallMs: 60_000,
    });
    const reading = reader.read("0-0").catch((error: unknown) => error);
    await eventually("the read to block in Redis", async () => {
      const clients = String(await redis.client.call("CLIENT", "LIST")).split("\n");
      return clients.some((client) => client.includes("name=closed-reader") && client.includes("cmd=xread"));
    });
    await redis.kill();

    reader.close();
    const ended = await reading;
    expect(String(ended)).toContain("the reader was closed");
  });
});
