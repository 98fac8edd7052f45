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
 * oldest) so a flood of distinct keys cannot exhaust memory.
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
  const windows = new Map<string, { hits: number; endsAt: number }>();
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
      if (windows.size >= maxKeys) {
        // Expired windows go first, so a flood of new keys cannot wipe a live one while any is stale.
        for (const [stale, { endsAt }] of windows) if (endsAt <= now) windows.delete(stale);
        const oldest = windows.keys().next();
        if (windows.size >= maxKeys && !oldest.done) windows.delete(oldest.value);
      }
      windows.set(key, { hits: 1, endsAt: now + windowMs });
    },
    reset(key) {
      windows.delete(key);
    },
  };
}
