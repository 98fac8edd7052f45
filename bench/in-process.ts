import { join } from "node:path";
import { openDatabase } from "../shared/sqlite/db";
import { tempDir } from "../test/support/resources";
import { ROOT } from "./support";

// What the in-process benches (flush-path.ts, request-path.ts) share: their database and their clock.

/** A customers database in a temp dir, with account 1 known and 20 customers on it to invoice. */
export function seededCustomersDatabase(prefix: string) {
  const dir = tempDir(prefix);
  const database = openDatabase(join(dir.path, "customers.sqlite"), join(ROOT, "migrations", "customers"));
  const client = (database.db as unknown as { $client: { run(sql: string): void } }).$client;
  client.run(
    "INSERT INTO known_accounts (id, name, owned_by, created_date) VALUES (1, 'a', 'user1', '2024-01-01')",
  );
  for (let i = 1; i <= 20; i++)
    client.run(`INSERT INTO customers (account_id, name, created_date) VALUES (1, 'c${i}', '2024-01-01')`);
  return {
    db: database.db,
    remove() {
      database.close();
      dir.remove();
    },
  };
}

/** Runs 2000 operations to warm up, then `total` measured: the wall time and the CPU time they took. */
export async function measure(
  total: number,
  run: (operations: number) => Promise<void>,
): Promise<{ wallUs: number; cpu: NodeJS.CpuUsage }> {
  await run(2000);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(total);
  const wallUs = (performance.now() - started) * 1000;
  return { wallUs, cpu: process.cpuUsage(cpu) };
}
