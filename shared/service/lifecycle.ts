import { listen, type ServableApp } from "../http/serve";
import type { Logger } from "../process/log";
import { stopAsOnSigterm, stopWithLauncher } from "../process/parent";
import { describePortRefusal, portRefusal } from "../process/ports";

/** Something a service closes at shutdown, in order. */
export type Closer = { name: string; close(): unknown };

/**
 * Serves an app until SIGTERM/SIGINT, then stops accepting requests, lets in-flight ones finish, and
 * closes the resources in the given order (loops before the connections they use) before exiting 0.
 */
export async function serveUntilSignalled(deps: {
  app: ServableApp;
  hostname: string;
  port: number;
  /** The variable that chose the port, named when the port is taken. */
  portVariable: string;
  logger: Logger;
  closers: Closer[];
  graceMs: number;
  maxBodyBytes: number;
  /** Runs first at shutdown: ends long-lived responses (event streams) the drain would otherwise wait on. */
  beforeStop?: () => void;
}): Promise<void> {
  const { app, hostname, port, logger, closers, graceMs, maxBodyBytes, beforeStop } = deps;
  // The app answers bodies over MAX_BODY_BYTES with a 413 problem; Bun's own limit is a backstop on memory.
  const backstop = Math.max(4 * maxBodyBytes, 1024 * 1024);
  const server = await listenOrExplain(
    app,
    { hostname, port, maxRequestBodySize: backstop },
    deps.portVariable,
  );
  logger.info("listening", { url: `http://${hostname}:${port}` });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("shutting down", { signal });
    const deadline = setTimeout(() => {
      logger.error("shutdown exceeded its grace period; exiting", { grace_ms: graceMs });
      process.exit(1);
    }, graceMs);
    try {
      beforeStop?.();
      await server.stop();
      for (const closer of closers) {
        try {
          await closer.close();
        } catch (error) {
          logger.warn("error while closing", { resource: closer.name, error: String(error) });
        }
      }
    } finally {
      clearTimeout(deadline);
    }
    logger.info("stopped");
    process.exit(0);
  };
  process.removeAllListeners("SIGTERM");
  process.removeAllListeners("SIGINT");
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/**
 * Listens, or fails with a message naming what holds a taken port and the fix, the same on every runtime
 * (each words its own error differently, and none says by what).
 */
export async function listenOrExplain(
  app: ServableApp,
  options: Parameters<typeof listen>[1],
  variable: string,
): ReturnType<typeof listen> {
  try {
    return await listen(app, options);
  } catch (error) {
    const code = await portRefusal(options.hostname, options.port);
    if (code === null) throw error;
    throw new Error(describePortRefusal({ port: options.port, host: options.hostname, variable, code }));
  }
}

/** Runs a service's start-up; a failure (bad configuration, unreadable data dir) is printed plainly and exits 1. */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  // A stop requested while starting: nothing is serving or half-written yet, so leave at once, cleanly.
  // serveUntilSignalled replaces these with the graceful drain.
  // Owner-only for everything the service creates: SQLite files with their WAL, keys, lock files.
  process.umask(0o077);
  const leave = () => process.exit(0);
  process.once("SIGTERM", leave);
  process.once("SIGINT", leave);
  // Started by npm start (or a test harness): stop as on SIGTERM if that process dies without saying so.
  stopWithLauncher(process.env, stopAsOnSigterm);
  try {
    await main();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
