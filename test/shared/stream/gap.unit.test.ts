import { describe, expect, test } from "bun:test";
import {
  type ConsumerPoint,
  detectGap,
  entriesReadAccepting,
  type StreamState,
} from "../../../shared/stream/gap";

// A stream of entries 100-0, 200-0, 300-0 (three added, none removed) unless a case says otherwise.
const stream = (state: Partial<NonNullable<StreamState>> = {}): StreamState => ({
  length: 3,
  firstEntryId: "100-0",
  lastGeneratedId: "300-0",
  maxDeletedId: "0-0",
  entriesAdded: 3,
  ...state,
});
const at = (
  position: string,
  entriesRead: number,
  acknowledgedThrough: string | null = null,
): ConsumerPoint => ({
  position,
  entriesRead,
  acknowledgedThrough,
});

describe("detectGap", () => {
  test.each([
    ["a consumer behind on a whole stream", at("200-0", 2), stream()],
    ["a consumer at the end", at("300-0", 3), stream()],
    ["a fresh consumer on a whole stream", at("0-0", 0), stream()],
    ["a fresh consumer and no stream yet", at("0-0", 0), null],
    [
      "entries trimmed only up to the consumer's position (MINID)",
      at("200-0", 4),
      stream({ firstEntryId: "200-0", length: 3, entriesAdded: 5, lastGeneratedId: "400-0" }),
    ],
    [
      "the consumer's own position trimmed, but nothing after it",
      at("200-0", 2),
      stream({ firstEntryId: "300-0", length: 1 }),
    ],
    ["an entry deleted before the consumer's position", at("200-0", 2), stream({ maxDeletedId: "150-0" })],
  ])("reports nothing for %s", (_, point, state) => {
    expect(detectGap(point, state)).toBeNull();
  });

  test.each([
    [
      "the stream is gone (flushed, or Redis restarted without persistence)",
      at("200-0", 2),
      null,
      "200-0",
      "gone",
    ],
    ["the stream was recreated behind the position", at("900-0", 9), stream(), "900-0", "recreated"],
    [
      "an entry after the position was deleted",
      at("200-0", 2),
      stream({ maxDeletedId: "250-0" }),
      "250-0",
      "deleted",
    ],
    [
      "entries after the position were trimmed",
      at("100-0", 1),
      stream({ firstEntryId: "300-0", length: 1 }),
      "300-0",
      "1 entries after 100-0 were trimmed",
    ],
    [
      "the stream was trimmed to nothing past the position",
      at("100-0", 1),
      stream({ length: 0, firstEntryId: "0-0" }),
      "300-0",
      "2 entries",
    ],
    [
      "a fresh consumer meets a trimmed stream",
      at("0-0", 0),
      stream({ length: 1, firstEntryId: "300-0" }),
      "300-0",
      "trimmed",
    ],
  ])("reports %s", (_, point, state, through, reason) => {
    const gap = detectGap(point, state);
    expect(gap?.through).toBe(through);
    expect(gap?.reason).toContain(reason);
  });

  test("a stream that lost its data and then got new entries is still a gap until acknowledged", () => {
    const restarted = stream({ firstEntryId: "900-0", lastGeneratedId: "901-0", length: 2, entriesAdded: 2 });
    const point = at("300-0", 3);
    expect(detectGap(point, restarted)?.reason).toContain("the stream was recreated");
    const acknowledged = at("300-0", entriesReadAccepting(point, restarted), "300-0");
    expect(acknowledged.entriesRead).toBe(0);
    expect(detectGap(acknowledged, restarted)).toBeNull();
  });

  test("an acknowledged trim gap stays quiet when new entries arrive after it, and a new trim is reported", () => {
    const trimmed = stream({ firstEntryId: "300-0", length: 1 });
    const point = at("100-0", 1);
    const acknowledged = at("100-0", entriesReadAccepting(point, trimmed), "300-0");
    expect(detectGap(acknowledged, trimmed)).toBeNull();

    const grown = stream({ firstEntryId: "300-0", length: 2, entriesAdded: 4, lastGeneratedId: "400-0" });
    expect(detectGap(acknowledged, grown)).toBeNull();

    const trimmedAgain = stream({
      firstEntryId: "500-0",
      length: 1,
      entriesAdded: 5,
      lastGeneratedId: "500-0",
    });
    expect(detectGap(acknowledged, trimmedAgain)?.reason).toContain("2 entries after 100-0 were trimmed");
  });
});
