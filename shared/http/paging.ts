import { z } from "zod";

/** One page of a listing by id, as both services answer it: `next_after` is null on the last page. */
export type Page<Item> = { items: Item[]; next_after: string | null };

/** The response schema of a page of `item`. */
export function pageResponse<S extends z.ZodType>(item: S) {
  return z.object({ items: z.array(item), next_after: z.string().nullable() });
}

/**
 * Reads one page of `limit` rows by id and shows it: `read(count)` returns up to `count` rows after the
 * cursor, in id order. One row more than the page is read, so the last page says so (`next_after` null)
 * instead of sending the client for one more, empty page.
 */
export function readPage<Row, Item>(
  limit: number,
  read: (count: number) => Row[],
  idOf: (row: Row) => number,
  view: (row: Row) => Item,
): Page<Item> {
  const rows = read(limit + 1);
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(view),
    next_after: rows.length > limit && last !== undefined ? String(idOf(last)) : null,
  };
}
