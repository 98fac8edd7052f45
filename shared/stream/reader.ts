import type { RawEntry } from "../events/wire";
import { type Redis, whenReady } from "./redis";

export class StalledReadError extends Error {
  override name = "StalledReadError";
}

export type StreamReader = {
  /** Up to `count` entries after `afterId`, waiting at most `blockMs` for the first one. */
  read(afterId: string): Promise<RawEntry[]>;
  close(): void;
};

/**
 * Blocking XREAD on a connection of its own (a blocked connection can serve nothing else). A read that
 * outlives its BLOCK by `stallMs` is treated as hung, as ioredis blocking commands can be after a
 * reconnect: the connection is dropped and replaced, and the read fails so the caller retries.
 */
export function createStreamReader(deps: {
  connect: () => Redis;
  streamKey: string;
  count: number;
  blockMs: number;
  stallMs?: number;
}): StreamReader {
  const { connect, streamKey, count, blockMs, stallMs = 5000 } = deps;
  let connection = connect();
  let closed = false;
  const closing = new AbortController();

  async function read(afterId: string): Promise<RawEntry[]> {
    const current = connection;
    await whenReady(current, blockMs + stallMs, closing.signal);
    let watchdog: ReturnType<typeof setTimeout> | undefined;
    const stalled = new Promise<never>((_, reject) => {
      watchdog = setTimeout(() => {
        if (!closed && connection === current) {
          connection = connect();
          current.disconnect();
        }
        reject(new StalledReadError(`XREAD did not answer within ${blockMs + stallMs} ms`));
      }, blockMs + stallMs);
    });
    // A read in flight when its connection dropped is not failed by disconnect(): closing ends it, so a
    // shutdown right after Redis went away does not wait for the watchdog.
    let onClose = () => {};
    const closedMeanwhile = new Promise<never>((_, reject) => {
      onClose = () => reject(new Error("the reader was closed"));
      closing.signal.addEventListener("abort", onClose, { once: true });
    });
    try {
      const reply = await Promise.race([
        current.xread("COUNT", count, "BLOCK", blockMs, "STREAMS", streamKey, afterId),
        stalled,
        closedMeanwhile,
      ]);
      return (reply?.[0]?.[1] ?? []).map(([id, fields]) => ({ id, fields }));
    } finally {
      clearTimeout(watchdog);
      closing.signal.removeEventListener("abort", onClose);
    }
  }

  return {
    read,
    close() {
      closed = true;
      closing.abort();
      connection.disconnect();
    },
  };
}
