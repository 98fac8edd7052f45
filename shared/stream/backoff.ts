/** A sleep that `wake()` cuts short, so loops waiting on a timer stop or resume at once. */
export function createWakeableSleep() {
  let pending: { timer: ReturnType<typeof setTimeout>; resolve: () => void } | null = null;
  return {
    sleep(ms: number): Promise<void> {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          pending = null;
          resolve();
        }, ms);
        pending = { timer, resolve };
      });
    },
    wake(): void {
      if (!pending) return;
      clearTimeout(pending.timer);
      const { resolve } = pending;
      pending = null;
      resolve();
    },
  };
}

/** Exponential backoff with full jitter between `minMs` and `maxMs`; `reset()` after a success. */
export function createBackoff(minMs = 100, maxMs = 5000, random: () => number = Math.random) {
  let attempt = 0;
  return {
    next(): number {
      const ceiling = Math.min(maxMs, minMs * 2 ** attempt);
      attempt += 1;
      return Math.round(minMs + random() * (ceiling - minMs));
    },
    reset(): void {
      attempt = 0;
    },
  };
}

/** A sleep that `wake()` cuts short (see createWakeableSleep). */
export type WakeableSleep = ReturnType<typeof createWakeableSleep>;

/**
 * Runs `round` again and again until `signal` aborts; nothing a round throws escapes. A round that throws
 * is retried after an exponential backoff (`onFailure` is told the error and the delay first); a round
 * that returns true resets the backoff. `pause` is the sleep that closing wakes.
 */
export async function repeatWithBackoff(loop: {
  round: () => Promise<boolean>;
  onFailure: (error: unknown, retryInMs: number) => void;
  pause: WakeableSleep;
  signal: AbortSignal;
}): Promise<void> {
  const backoff = createBackoff(100, 5000);
  while (!loop.signal.aborted) {
    try {
      if (await loop.round()) backoff.reset();
    } catch (error) {
      if (loop.signal.aborted) return;
      const delay = backoff.next();
      loop.onFailure(error, delay);
      await loop.pause.sleep(delay);
    }
  }
}
