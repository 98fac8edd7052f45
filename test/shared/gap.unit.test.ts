import { describe, expect, test } from "bun:test";
import { detectGap, type StreamState } from "../../shared/gap";

const stream = (state: Partial<NonNullable<StreamState>> = {}): StreamState => ({
  length: 3,
  firstEntryId: "100-0",
  lastGeneratedId: "300-0",
  maxDeletedId: "0-0",
  entriesAdded: 3,
  ...state,
});

describe("detectGap", () => {
  test.each([
    ["a consumer behind on a whole stream", "200-0", stream()],
    ["a consumer at the end", "300-0", stream()],
    ["a fresh consumer on a whole stream", "0-0", stream()],
    ["a fresh consumer and no stream yet", "0-0", null],
    [
      "entries trimmed only up to the consumer's position (MINID)",
      "200-0",
      stream({ firstEntryId: "200-0", length: 2, entriesAdded: 5 }),
    ],
    ["an entry deleted before the consumer's position", "200-0", stream({ maxDeletedId: "150-0" })],
  ])("reports nothing for %s", (_, position, state) => {
    expect(detectGap(position, state, null)).toBeNull();
  });

  test.each([
    [
      "the stream is gone (flushed, or Redis restarted without persistence)",
      "200-0",
      null,
      "200-0",
      "the stream is gone",
    ],
    ["the stream was recreated behind the position", "900-0", stream(), "900-0", "it was recreated"],
    [
      "an entry after the position was deleted",
      "200-0",
      stream({ maxDeletedId: "250-0" }),
      "250-0",
      "deleted",
    ],
    [
      "entries after the position were trimmed",
      "200-0",
      stream({ firstEntryId: "280-0", length: 2 }),
      "280-0",
      "trimmed",
    ],
    [
      "the stream was trimmed to nothing past the position",
      "200-0",
      stream({ length: 0, firstEntryId: "0-0" }),
      "300-0",
      "trimmed",
    ],
    ["a fresh consumer meets a trimmed stream", "0-0", stream({ entriesAdded: 10 }), "100-0", "trimmed"],
  ])("reports %s", (_, position, state, through, reason) => {
    const gap = detectGap(position, state, null);
    expect(gap?.through).toBe(through);
    expect(gap?.reason).toContain(reason);
  });

  test("a gap acknowledged through its end is not reported again, a later one is", () => {
    const trimmed = stream({ firstEntryId: "280-0", length: 2 });
    expect(detectGap("200-0", trimmed, "280-0")).toBeNull();
    expect(detectGap("200-0", stream({ firstEntryId: "290-0", length: 1 }), "280-0")?.through).toBe("290-0");
  });
});
