import { describe, expect, test } from "bun:test";
import { deadLetterStreamOf } from "../../../shared/events/stream-contract";
import { supportsIdempotentXadd, xaddArguments } from "../../../shared/outbox/publish";

describe("idempotent XADD", () => {
  test.each([
    ["7.0.15", false],
    ["8.4.0", false],
    ["8.6.0", true],
    ["8.10.1", true],
    ["9.0.0", true],
    ["garbage", false],
  ])("Redis %s supports it: %p", (version, expected) => {
    expect(supportsIdempotentXadd(version)).toBe(expected);
  });

  test("with a producer, XADD carries IDMP <producer> <event id> before the entry ID", () => {
    const row = { eventId: "0190-abc", fields: ["EventTypeName", "InvoiceCreated"] };
    expect(xaddArguments("event-stream", row, "customers")).toEqual([
      "event-stream",
      "IDMP",
      "customers",
      "0190-abc",
      "*",
      "EventTypeName",
      "InvoiceCreated",
    ]);
    expect(xaddArguments("event-stream", row, null)).toEqual([
      "event-stream",
      "*",
      "EventTypeName",
      "InvoiceCreated",
    ]);
  });

  test("the dead-letter stream sits beside the event stream", () => {
    expect(deadLetterStreamOf("event-stream")).toBe("event-stream:dlq");
  });
});
