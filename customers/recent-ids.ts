/**
 * The ids among the last `limit` additions, for membership checks; an id added again counts from its
 * newest addition. A ring of the additions, not a Set trimmed at its oldest: in JavaScriptCore, finding
 * a Set's first entry steps over every entry deleted before it, a cost that grew with each addition.
 */
export function createRecentIds(limit: number) {
  if (!Number.isInteger(limit) || limit < 1)
    throw new RangeError(`limit must be a whole number ≥ 1, not ${limit}`);
  const additions: (string | undefined)[] = new Array(limit);
  // Each id's newest addition, numbered from 0.
  const newestAddition = new Map<string, number>();
  let count = 0;
  return {
    add(id: string): void {
      const slot = count % limit;
      const forgotten = additions[slot];
      if (forgotten !== undefined && newestAddition.get(forgotten) === count - limit) {
        newestAddition.delete(forgotten);
      }
      additions[slot] = id;
      newestAddition.set(id, count);
      count += 1;
    },
    has: (id: string): boolean => newestAddition.has(id),
  };
}

export type RecentIds = ReturnType<typeof createRecentIds>;
