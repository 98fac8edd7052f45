import { describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger } from "../../shared/log";

function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { lines, stream };
}

describe("the logger", () => {
  test("writes one JSON line per call with time, level, service and message", () => {
    const { lines, stream } = capture();
    createLogger("accounts", "info", "json", stream).info("listening", { url: "http://127.0.0.1:8090" });
    expect(lines).toEqual([
      {
        time: expect.any(String),
        level: "info",
        service: "accounts",
        msg: "listening",
        url: "http://127.0.0.1:8090",
      },
    ]);
  });

  test("redacts secrets at the top level and one level down", () => {
    const { lines, stream } = capture();
    createLogger("accounts", "info", "json", stream).warn("login", {
      authorization: "Bearer eyJhbGciOi",
      password: "password1",
      request: { token: "eyJ...", password: "hunter2", username: "user1" },
    });
    const text = JSON.stringify(lines);
    for (const secret of ["eyJhbGciOi", "password1", "eyJ...", "hunter2"]) expect(text).not.toContain(secret);
    expect(lines[0]?.request).toEqual({ token: "[redacted]", password: "[redacted]", username: "user1" });
  });

  test("drops lines below its level", () => {
    const { lines, stream } = capture();
    const logger = createLogger("customers", "warn", "json", stream);
    logger.info("quiet");
    logger.debug("quieter");
    logger.error("loud");
    expect(lines.map((line) => line.msg)).toEqual(["loud"]);
  });
});
