import { TooManyRequestsError } from "../../shared/http/errors";

export type HashQueueLimits = {
  /** Hashes computed at once (each holds its memory cost, 19 MiB). */
  concurrency: number;
  /** Hashes one client may have waiting; one more is refused at once. */
  maxWaitingPerClient: number;
  /** The Retry-After of that refusal. */
  retryAfterSeconds: number;
};

export type HashQueue = {
  /**
   * Runs `work` (a hash) for `client` when its turn comes; throws 429 at once when `client` already has
   * `maxWaitingPerClient` hashes waiting.
   */
  run<T>(client: string, work: () => Promise<T>): Promise<T>;
  /** Hashes running and waiting now, by client (what the tests look at). */
  load(): { running: number; waiting: Record<string, number> };
};

/**
 * Password hashes, `concurrency` at a time and fair between clients. Each client's hashes wait in a
 * queue of its own, and a free slot goes to the clients with hashes waiting in turn (round robin): a
 * flood from a few addresses delays another address's login by about one hash per flooding address,
 * not by the whole flood, as one first-come queue did. A client already holding `maxWaitingPerClient`
 * waiting hashes is refused with a 429, so a flood cannot pile up requests either.
 */
export function createHashQueue(limits: HashQueueLimits): HashQueue {
  let running = 0;
  // Clients with hashes waiting, in their turn: a client served goes to the back of the line.
  const waiting = new Map<string, (() => void)[]>();

  const startNext = () => {
    const first = waiting.entries().next();
    if (first.done) return;
    const [client, queue] = first.value;
    const start = queue.shift();
    waiting.delete(client);
    if (queue.length > 0) waiting.set(client, queue);
    running += 1;
    start?.();
  };

  const turnFor = (client: string) => {
    const queue = waiting.get(client) ?? [];
    if (queue.length >= limits.maxWaitingPerClient) {
      throw new TooManyRequestsError(
        "too many logins from this address are waiting for their password check; try again shortly",
        limits.retryAfterSeconds,
      );
    }
    return new Promise<void>((resolve) => {
      queue.push(resolve);
      if (!waiting.has(client)) waiting.set(client, queue);
    });
  };

  return {
    async run(client, work) {
      // A slot is taken here, or by startNext on this client's turn.
      if (running < limits.concurrency && waiting.size === 0) running += 1;
      else await turnFor(client);
      try {
        return await work();
      } finally {
        running -= 1;
        startNext();
      }
    },
    load() {
      const counts = [...waiting].map(([client, queue]) => [client, queue.length] as const);
      return { running, waiting: Object.fromEntries(counts) };
    },
  };
}
