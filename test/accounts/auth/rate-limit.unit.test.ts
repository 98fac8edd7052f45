import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createRateLimiter, type RateDecision } from "../../../accounts/auth/rate-limit";

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

  test("after thousands of windows opened and dropped, holds exactly the newest maxKeys", () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1200, maxKeys: 51 });
    for (let i = 0; i < 1100; i++) limiter.hit(`k${i}`, i);
    const refused = Array.from({ length: 1100 }, (_, i) => i).filter(
      (i) => !limiter.check(`k${i}`, 1099).allowed,
    );
    expect(refused).toEqual(Array.from({ length: 51 }, (_, i) => 1049 + i));
  });

  test("a window opened before thousands of reset ones is still the first dropped when full", () => {
    const limiter = createRateLimiter({ limit: 1, windowMs: 1_000_000, maxKeys: 3 });
    limiter.hit("first", 0);
    for (let i = 1; i <= 3000; i++) {
      limiter.hit("again", i);
      limiter.reset("again");
    }
    for (const key of ["b", "c", "d"]) limiter.hit(key, 3001);
    expect(["first", "b", "c", "d"].map((key) => limiter.check(key, 3002).allowed)).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  test("decides as a plain map of windows would, dropping expired windows and then the oldest when full", () => {
    type Op = { kind: "hit" | "check" | "reset"; key: string; advanceMs: number };
    const op = fc.record({
      kind: fc.constantFrom<Op["kind"]>("hit", "hit", "check", "reset"),
      key: fc.constantFrom("a", "b", "c", "d", "e"),
      advanceMs: fc.constantFrom(0, 0, 1, 3, 10),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 4 }),
        // Mostly short; a few long enough for the queue of windows to be trimmed and compacted.
        fc.oneof(
          { weight: 50, arbitrary: fc.array(op, { maxLength: 60 }) },
          { weight: 1, arbitrary: fc.array(op, { minLength: 3000, maxLength: 4000 }) },
        ),
        (limit, windowMs, maxKeys, ops) => {
          const limiter = createRateLimiter({ limit, windowMs, maxKeys });
          // The model: windows in the order they opened, the whole list searched on every call.
          let model: { key: string; hits: number; endsAt: number }[] = [];
          let now = 0;
          for (const { kind, key, advanceMs } of ops) {
            now += advanceMs;
            model = model.filter((window) => window.endsAt > now || window.key !== key);
            const window = model.find((candidate) => candidate.key === key);
            if (kind === "reset") {
              model = model.filter((candidate) => candidate.key !== key);
              limiter.reset(key);
            } else if (kind === "hit") {
              if (window) window.hits += 1;
              else {
                model = model.filter((candidate) => candidate.endsAt > now);
                if (model.length >= maxKeys) model.shift();
                model.push({ key, hits: 1, endsAt: now + windowMs });
              }
              limiter.hit(key, now);
            } else {
              const expected: RateDecision =
                !window || window.hits < limit
                  ? { allowed: true }
                  : {
                      allowed: false,
                      retryAfterSeconds: Math.max(1, Math.ceil((window.endsAt - now) / 1000)),
                    };
              expect(limiter.check(key, now)).toEqual(expected);
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
