/** The last `limit` ids added, for membership checks; the oldest is forgotten first. */
export function createRecentIds(limit: number) {
  const ids = new Set<string>();
  return {
    add(id: string): void {
      ids.delete(id);
      ids.add(id);
      if (ids.size <= limit) return;
      const oldest = ids.values().next();
      if (!oldest.done) ids.delete(oldest.value);
    },
    has: (id: string): boolean => ids.has(id),
  };
}

export type RecentIds = ReturnType<typeof createRecentIds>;
