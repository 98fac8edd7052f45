/** A count that only grows, and promises that resolve once it reaches a number (or once it ends). */
export function createProgress() {
  let count = 0;
  let ended = false;
  let waiting: { at: number; resolve: () => void }[] = [];
  const release = () => {
    const due = waiting.filter((waiter) => ended || count >= waiter.at);
    waiting = waiting.filter((waiter) => !due.includes(waiter));
    for (const waiter of due) waiter.resolve();
  };
  return {
    count: () => count,
    ended: () => ended,
    set(value: number) {
      count = value;
      release();
    },
    /** Nothing more will come: everything waiting resolves. */
    end() {
      ended = true;
      release();
    },
    reached(at: number): Promise<void> {
      if (ended || count >= at) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ at, resolve }));
    },
  };
}
