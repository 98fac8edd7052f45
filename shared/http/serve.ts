import { Elysia } from "elysia";
import { currentRuntime } from "../process/runtime";

/**
 * Elysia's app config for any Host header. By default Elysia looks for a request's path after the first 11
 * characters of its URL (`http://a.bc`); the Node.js adapter and Deno build that URL from the Host
 * header, so a short one (`Host: x`) made every request miss its route. With `standardHostname` off it
 * looks after `http://`, and finds the path whatever the Host says.
 */
export const ANY_HOST = { handler: { standardHostname: false } };

/** An Elysia app as this module serves it (Elysia's own type is too specific to each app to name here). */
export type ServableApp = {
  fetch(request: Request): Response | Promise<Response>;
  listen(options: {
    hostname: string;
    port: number;
    reusePort: boolean;
    maxRequestBodySize: number;
  }): unknown;
  stop(): Promise<unknown>;
};

export type Listening = {
  /** Stops accepting connections and resolves once the requests in flight have been answered. */
  stop(): Promise<void>;
};

type ListenOptions = { hostname: string; port: number; maxRequestBodySize: number };

/**
 * Serves an app on this runtime's HTTP server: Bun's own, Elysia's Node.js adapter, or `Deno.serve` with
 * the app's web-standard fetch handler. Resolves once the port is bound; no port sharing on any of them
 * (a second copy of a service must fail to start, not split the traffic).
 */
export async function listen(app: ServableApp, options: ListenOptions): Promise<Listening> {
  switch (currentRuntime()) {
    case "bun":
      app.listen({ ...options, reusePort: false });
      return { stop: async () => void (await app.stop()) };
    case "node":
      return listenOnNode(app, options);
    case "deno":
      return listenOnDeno(app, options);
  }
}

async function listenOnNode(app: ServableApp, options: ListenOptions): Promise<Listening> {
  const { node } = await import("@elysiajs/node");
  // The adapter belongs to the root instance; the app, mounted in it, keeps its own hooks and routes.
  const root = new Elysia({ adapter: node(), ...ANY_HOST }).use(app as unknown as Elysia);
  // Node's server has no request size limit of its own: the app's size-checked body reading is the limit.
  // gracefulShutdown off: the service's own SIGTERM handling drains and exits.
  type NodeServer = { raw: { ready(): Promise<unknown>; close(): Promise<void> } };
  let server: NodeServer | undefined;
  root.listen(
    { hostname: options.hostname, port: options.port, reusePort: false, gracefulShutdown: false } as {
      hostname: string;
      port: number;
    },
    (info) => {
      server = info as unknown as NodeServer;
    },
  );
  if (!server) throw new Error("the Node.js adapter did not start a server");
  await server.raw.ready();
  const started = server;
  return { stop: () => started.raw.close() };
}

type DenoServer = { shutdown(): Promise<void>; finished: Promise<void> };
type DenoGlobal = {
  serve(
    options: { hostname: string; port: number; reusePort: boolean; onListen(): void },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): DenoServer;
};

async function listenOnDeno(app: ServableApp, options: ListenOptions): Promise<Listening> {
  const deno = (globalThis as unknown as { Deno: DenoGlobal }).Deno;
  // Deno's shutdown() cuts short the body of a request still arriving, so the requests in flight are
  // let finish first; one arriving meanwhile is turned away with a 503 and the connection closed.
  let inFlight = 0;
  let draining = false;
  let drained = () => {};
  const server = deno.serve(
    { hostname: options.hostname, port: options.port, reusePort: false, onListen() {} },
    async (request, info) => {
      if (draining) return shuttingDown();
      // As srvx does on Node.js: the client's address travels with the request (rate limits read it).
      Object.defineProperty(request, "ip", { value: info.remoteAddr.hostname });
      inFlight++;
      try {
        return await app.fetch(request);
      } finally {
        inFlight--;
        if (inFlight === 0) drained();
      }
    },
  );
  return {
    async stop() {
      draining = true;
      if (inFlight > 0) await new Promise<void>((resolve) => (drained = resolve));
      await server.shutdown();
    },
  };
}

function shuttingDown(): Response {
  const problem = { type: "about:blank", title: "Service Unavailable", status: 503, detail: "shutting down" };
  return new Response(JSON.stringify(problem), {
    status: 503,
    headers: { "content-type": "application/problem+json", connection: "close" },
  });
}
