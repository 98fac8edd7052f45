import type { Logger } from "./log";

type Closer = { name: string; close(): unknown };

/** The part of an Elysia app this needs (Elysia's own type is too specific to each app to name here). */
type Server = { listen(options: { hostname: string; port: number }): unknown; stop(): Promise<unknown> };

/**
 * Serves an app until SIGTERM/SIGINT, then stops accepting requests, lets in-flight ones finish, and
 * closes the resources in the given order (loops before the connections they use) before exiting 0.
 */
export function serveUntilSignalled(deps: {
  app: Server;
  hostname: string;
  port: number;
  logger: Logger;
  closers: Closer[];
  graceMs?: number;
}): void {
  const { app, hostname, port, logger, closers, graceMs = 10_000 } = deps;
  app.listen({ hostname, port });
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
      await app.stop();
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
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

/** Runs a service's start-up; a failure (bad configuration, unreadable data dir) is printed plainly and exits 1. */
export async function runMain(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (error) {
    process.stderr.write(`${name}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
