import type { Socket } from "bun";

type Pair = {
  upstream: Socket<undefined> | null;
  toUpstream: Uint8Array[];
  toClient: Uint8Array[];
  silenced: boolean;
};

export type TcpProxy = {
  port: number;
  /** Stops forwarding in both directions while keeping connections open: the peer hears nothing. */
  pause(): void;
  /** Forwards what was held and everything after. */
  resume(): void;
  /** The connections open now go silent for good (a half-open connection); new ones work normally. */
  silenceExisting(): void;
  stop(): void;
};

/** A TCP proxy on loopback in front of `targetPort`, to make a live connection hang on purpose. */
export function startProxy(targetPort: number): TcpProxy {
  let paused = false;
  const clients = new Set<Socket<Pair>>();

  const flush = (client: Socket<Pair>) => {
    const pair = client.data;
    if (paused || pair.silenced || !pair.upstream) return;
    for (const chunk of pair.toUpstream.splice(0)) pair.upstream.write(chunk);
    for (const chunk of pair.toClient.splice(0)) client.write(chunk);
  };

  const server = Bun.listen<Pair>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      async open(client) {
        client.data = { upstream: null, toUpstream: [], toClient: [], silenced: false };
        clients.add(client);
        client.data.upstream = await Bun.connect({
          hostname: "127.0.0.1",
          port: targetPort,
          socket: {
            data(_upstream, chunk) {
              client.data.toClient.push(new Uint8Array(chunk));
              flush(client);
            },
            close() {
              client.end();
            },
            error() {
              client.end();
            },
          },
        });
        flush(client);
      },
      data(client, chunk) {
        client.data.toUpstream.push(new Uint8Array(chunk));
        flush(client);
      },
      close(client) {
        client.data.upstream?.end();
        clients.delete(client);
      },
    },
  });

  return {
    port: server.port,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const client of clients) flush(client);
    },
    silenceExisting() {
      for (const client of clients) client.data.silenced = true;
    },
    stop() {
      for (const client of clients) client.end();
      server.stop(true);
    },
  };
}
