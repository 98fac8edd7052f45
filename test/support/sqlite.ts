import { Database } from "bun:sqlite";
import { join } from "node:path";

/** Reads a service's SQLite file directly (read-only), as an operator would. */
export function readServiceDb<T>(dataDir: string, service: "accounts" | "customers", query: string): T[] {
  const db = new Database(join(dataDir, `${service}.sqlite`), { readonly: true });
  try {
    return db.query(query).all() as T[];
  } finally {
    db.close();
  }
}
