import { describe, expect, test } from "bun:test";
import { createRateLimiter } from "../../shared/rate-limit";

describe("createRateLimiter", () => {
  test("allows `limit` hits in a window, then refuses with the seconds left, then allows again", () => {
    const limiter = createRateLimiter({ limit: 2, windowMs: 10_000 });
    limiter.hit("k", 1_000);
    expect(limiter.check("k", 1_000)).toEqual({ allowed: true });
    limiter.hit("k", 2_000);
    expect(limiter.check("k", 2_500)).toEqual({ allowed: false, retryAfterSeconds: 9 });
    expect(limiter.check("k", 10_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    expect(limiter.check("k", 11_000)).toEqual({ allowed: true });
    expect(limiter.check("other", 2_500)).toEqual({ allowed: true });
  });

  test("reset forgets a key", () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 10_000 });
    limiter.hit("k", 0);
    limiter.reset("k");
    expect(limiter.check("k", 1)).toEqual({ allowed: true });
  });

  test("holds at most maxKeys keys, dropping the oldest window first", () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 10_000, maxKeys: 2 });
    for (const key of ["a", "b", "c"]) limiter.hit(key, 0);
    expect(limiter.check("a", 1)).toEqual({ allowed: true });
    expect(limiter.check("b", 1).allowed).toBe(false);
    expect(limiter.check("c", 1).allowed).toBe(false);
  });
});
