/** A clock a test moves by hand: it stands at its start time until `advance` or `set` moves it. */
export type TestClock = {
  now(): Date;
  advance(ms: number): void;
  set(epochMs: number): void;
};

/** A TestClock standing at `start` (by default the moment it is made). */
export function createTestClock(start: Date = new Date()): TestClock {
  let at = start.getTime();
  return {
    now: () => new Date(at),
    advance(ms) {
      at += ms;
    },
    set(epochMs) {
      at = epochMs;
    },
  };
}
