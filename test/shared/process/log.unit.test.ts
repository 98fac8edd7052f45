import { describe, expect, test } from "bun:test";
import { Writable } from "node:stream";
import { createLogger } from "../../../shared/process/log";

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

  test("redacts secrets at the top level and below", () => {
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

  test("redacts secret-like fields in any case and at any depth, and passwords inside URLs", () => {
    const { lines, stream } = capture();
    createLogger("customers", "info", "json", stream).error("redis://app:s3cr3t@cache:6379 refused", {
      Authorization: "Bearer abc.def",
      refreshToken: "rt-123",
      request: { headers: { authorization: "Bearer ghi.jkl", "x-api-key": "k-456" } },
      redis_url: "rediss://app:hunter22@127.0.0.1:6380",
      list: [{ access_token: "at-789" }],
      count: 3,
    });
    const text = JSON.stringify(lines);
    for (const secret of ["abc.def", "rt-123", "ghi.jkl", "k-456", "hunter22", "at-789", "s3cr3t"]) {
      expect(text).not.toContain(secret);
    }
    expect(lines[0]).toMatchObject({ redis_url: "rediss://app:[redacted]@127.0.0.1:6380", count: 3 });
    expect(lines[0]?.msg).toBe("redis://app:[redacted]@cache:6379 refused");
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
