import { describe, expect, test } from "bun:test";
import { createRecentIds } from "../../shared/recent-ids";

describe("recent ids", () => {
  test("holds the last `limit` ids added and forgets the oldest first", () => {
    const ids = createRecentIds(3);
    for (const id of ["a", "b", "c", "d"]) ids.add(id);
    expect(["a", "b", "c", "d"].map(ids.has)).toEqual([false, true, true, true]);
  });

  test("an id added again counts as the newest", () => {
    const ids = createRecentIds(2);
    ids.add("a");
    ids.add("b");
    ids.add("a");
    ids.add("c");
    expect(["a", "b", "c"].map(ids.has)).toEqual([true, false, true]);
  });
});
