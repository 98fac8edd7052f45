import { describe, expect, test } from "bun:test";
import { Elysia } from "elysia";
import { httpConventions } from "../../../shared/http/conventions";
import { AuthError } from "../../../shared/http/errors";
import { createMetrics } from "../../../shared/http/metrics";
import type { LogFields, Logger } from "../../../shared/process/log";

/** A logger that hands over the fields of its first line with `message` (written after the answer). */
function capturingLogger(message: string) {
  let found: (fields: LogFields | undefined) => void = () => {};
  const line = new Promise<LogFields | undefined>((resolve) => (found = resolve));
  const keep = (written: string, fields?: LogFields) => {
    if (written === message) found(fields);
  };
  const logger: Logger = { debug: keep, info: keep, warn: keep, error: keep };
  return { logger, line };
}

describe("an error's cause", () => {
  test("goes to the request's log line, and not to the client", async () => {
    const { logger, line } = capturingLogger("request");
    const app = new Elysia()
      .use(httpConventions({ logger, metrics: createMetrics("test") }))
      .get("/guarded", () => {
        const refused = new AuthError(401, "the token has expired: refresh it or log in again");
        refused.reason = "ERR_JWT_EXPIRED";
        throw refused;
      });
    const response = await app.handle(new Request("http://localhost/guarded"));
    const body = await response.text();

    expect(response.status).toBe(401);
    expect(body).not.toContain("ERR_JWT_EXPIRED");
    expect(body).toContain("the token has expired");
    expect(await line).toMatchObject({ status: 401, route: "/guarded", reason: "ERR_JWT_EXPIRED" });
  });
});
