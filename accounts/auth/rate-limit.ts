/** Whether an attempt may go ahead now, and if not, in how many whole seconds it may. */
export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number };

export type RateLimiter = {
  check(key: string, now: number): RateDecision;
  hit(key: string, now: number): void;
  reset(key: string): void;
};

/**
 * At most `limit` hits per key in a fixed window of `windowMs` starting at the key's first hit. Kept in
 * memory (one instance serves a data dir); at most `maxKeys` keys (expired windows dropped first, then the
 * one opened longest ago) so a flood of distinct keys cannot exhaust memory, and each hit costs the same
 * however full it is.
 */
export function createRateLimiter({
  limit,
  windowMs,
  maxKeys = 100_000,
}: {
  limit: number;
  windowMs: number;
  maxKeys?: number;
}): RateLimiter {
  type Window = { key: string; hits: number; endsAt: number };
  const windows = new Map<string, Window>();
  // Windows in the order they opened, so expired ones gather at the front (unless the clock stepped back:
  // then a live window may be dropped before an expired one behind it, still at most maxKeys): finding
  // the oldest in the Map itself would step over every key deleted before it. A window reset or replaced
  // stays here, no longer current, until it reaches the front or the queue is compacted.
  let opened: Window[] = [];
  let front = 0;
  const isCurrent = (window: Window) => windows.get(window.key) === window;

  // Drops windows from the front while they are no longer current or have expired; with `oldestLive`, the
  // first live window after them too (the one opened longest ago).
  function dropFront(now: number, oldestLive: boolean): void {
    while (front < opened.length) {
      const window = opened[front] as Window;
      if (isCurrent(window)) {
        const live = window.endsAt > now;
        if (live && !oldestLive) break;
        windows.delete(window.key);
        front += 1;
        if (live) break;
      } else {
        front += 1;
      }
    }
    if (opened.length - front > 2 * windows.size + 1024) {
      opened = opened.slice(front).filter(isCurrent);
      front = 0;
    } else if (front > 1024 && front * 2 > opened.length) {
      opened = opened.slice(front);
      front = 0;
    }
  }

  const current = (key: string, now: number) => {
    const window = windows.get(key);
    if (window && window.endsAt <= now) {
      windows.delete(key);
      return undefined;
    }
    return window;
  };
  return {
    check(key, now) {
      const window = current(key, now);
      if (!window || window.hits < limit) return { allowed: true };
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - now) / 1000)) };
    },
    hit(key, now) {
      const window = current(key, now);
      if (window) {
        window.hits += 1;
        return;
      }
      dropFront(now, false);
      if (windows.size >= maxKeys) dropFront(now, true);
      const opening = { key, hits: 1, endsAt: now + windowMs };
      windows.set(key, opening);
      opened.push(opening);
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
