import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { createRecentIds } from "../../customers/recent-ids";

describe("recent ids", () => {
  test("holds the last `limit` ids added and forgets the oldest first", () => {
    const ids = createRecentIds(3);
    for (const id of ["a", "b", "c", "d"]) ids.add(id);
    expect(["a", "b", "c", "d"].map(ids.has)).toEqual([false, true, true, true]);
  });

  test.each([0, -1, 1.5, Number.NaN])("refuses a limit of %p", (limit) => {
    expect(() => createRecentIds(limit)).toThrow(RangeError);
  });

  test("an id added again counts as the newest", () => {
    const ids = createRecentIds(2);
    ids.add("a");
    ids.add("b");
    ids.add("a");
    ids.add("c");
    expect(["a", "b", "c"].map(ids.has)).toEqual([true, false, true]);
  });

  test("holds exactly the ids among the last `limit` additions, whatever the order", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.constantFrom<string>("a", "b", "c", "d", "e", "f"), { maxLength: 40 }),
        (limit, additions) => {
          const ids = createRecentIds(limit);
          additions.forEach((id, index) => {
            ids.add(id);
            const lastAdditions = additions.slice(Math.max(0, index + 1 - limit), index + 1);
            for (const candidate of ["a", "b", "c", "d", "e", "f"]) {
              expect(ids.has(candidate)).toBe(lastAdditions.includes(candidate));
            }
          });
        },
      ),
    );
  });
});
