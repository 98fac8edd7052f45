import { connect } from "node:net";

export type RawConnection = {
  write(bytes: Uint8Array | string): void;
  /** Writes the last bytes and half-closes: the server sees the end of what the client sends. */
  end(bytes?: Uint8Array | string): void;
  /** Resolves once what the server sent matches `pattern`; fails if the connection closes first. */
  until(pattern: RegExp): Promise<RegExpMatchArray>;
  /** Resolves with everything the server sent once it closes the connection. */
  closed(): Promise<string>;
  destroy(): void;
};

type Outcome<T> = { done: true; value: T } | { done: false } | { failed: string };

/**
 * A TCP connection to a service, for requests fetch would not send, or not in steps: the test writes the
 * bytes, and waits on what the server answers, never on a timer.
 */
export async function openRawConnection(url: string): Promise<RawConnection> {
  const { port } = new URL(url);
  const socket = connect(Number(port), "127.0.0.1");
  let received = "";
  let open = true;
  const waiters = new Set<() => void>();
  const changed = () => {
    for (const waiter of [...waiters]) waiter();
  };
  socket.on("data", (chunk) => {
    received += chunk.toString("latin1");
    changed();
  });
  socket.on("close", () => {
    open = false;
    changed();
  });
  socket.on("error", () => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("error", reject);
  });
  const waitFor = <T>(outcome: () => Outcome<T>) =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const now = outcome();
        if ("failed" in now) reject(new Error(now.failed));
        else if (now.done) resolve(now.value);
        else return;
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return {
    write: (bytes) => socket.write(bytes),
    end: (bytes) => (bytes === undefined ? socket.end() : socket.end(bytes)),
    until: (pattern) =>
      waitFor<RegExpMatchArray>(() => {
        const match = received.match(pattern);
        if (match) return { done: true, value: match };
        return open ? { done: false } : { failed: `closed before ${pattern}; received: ${received}` };
      }),
    closed: () => waitFor<string>(() => (open ? { done: false } : { done: true, value: received })),
    destroy: () => socket.destroy(),
  };
}
