import { describe, expect, test } from "bun:test";
import { readPage } from "../../../shared/http/paging";

const ids = [3, 5, 8, 13, 21];

/** Up to `count` of `ids` above `after`, as a store reads them. */
const rowsAfter = (after: number) => (count: number) => ids.filter((id) => id > after).slice(0, count);
const page = (limit: number, after = 0) =>
  readPage(
    limit,
    rowsAfter(after),
    (id) => id,
    (id) => `#${id}`,
  );

describe("readPage", () => {
  test("when more rows follow the page: its items and the last item's id as the cursor", () => {
    expect(page(2)).toEqual({ items: ["#3", "#5"], next_after: "5" });
  });

  test("when the page is exactly full and nothing follows: no cursor", () => {
    expect(page(5)).toEqual({ items: ["#3", "#5", "#8", "#13", "#21"], next_after: null });
    expect(page(2, 8)).toEqual({ items: ["#13", "#21"], next_after: null });
  });

  test("when fewer rows than the limit are left: no cursor", () => {
    expect(page(10, 5)).toEqual({ items: ["#8", "#13", "#21"], next_after: null });
  });

  test("when nothing is left: an empty page and no cursor", () => {
    expect(page(3, 21)).toEqual({ items: [], next_after: null });
  });

  test("reads one row more than the page, to tell whether another page follows", () => {
    const counts: number[] = [];
    const recordingRead = (count: number): number[] => {
      counts.push(count);
      return [];
    };
    readPage(4, recordingRead, (id) => id, String);
    expect(counts).toEqual([5]);
  });

  test("walking page by page visits every row once and ends on a page with no cursor", () => {
    const seen: string[] = [];
    let after = 0;
    for (let pages = 1; pages <= ids.length; pages++) {
      const { items, next_after } = page(2, after);
      seen.push(...items);
      if (next_after === null) break;
      after = Number(next_after);
    }
    expect(seen).toEqual(ids.map((id) => `#${id}`));
  });
});
