import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { uuidv7 } from "uuidv7";
import { invoiceCreated, invoiceView } from "../customers/domain";
import { createCustomersStore } from "../customers/store";
import { envelopeOf } from "../shared/events/wire";
import { idempotencyKeyOf } from "../shared/http/idempotency";
import { openDatabase } from "../shared/sqlite/db";
import { ROOT } from "./support";

// The SQLite side of POST /invoices alone: 50 clients writing invoices through the store's group commit
// (FULL fsync), µs per write. `bun bench/flush-path.ts`; not part of the suite.
const dir = mkdtempSync(join(tmpdir(), "flush-path-"));
const database = openDatabase(join(dir, "customers.sqlite"), join(ROOT, "migrations", "customers"));
const client = (database.db as unknown as { $client: { run(sql: string): void } }).$client;
client.run(
  "INSERT INTO known_accounts (id, name, owned_by, created_date) VALUES (1, 'a', 'user1', '2024-01-01')",
);
for (let i = 1; i <= 20; i++)
  client.run(`INSERT INTO customers (account_id, name, created_date) VALUES (1, 'c${i}', '2024-01-01')`);
const store = createCustomersStore(database.db);
let counter = 0;
const write = () => {
  counter++;
  const input = {
    customer_id: String((counter % 20) + 1),
    purchase_date: "2024-05-17",
    purchase_price_cents: 100,
  };
  const key = idempotencyKeyOf(`k-${counter}`, "user1", "POST /invoices", input);
  const at = new Date();
  return store.commit(key, at, () => {
    const customer = store.findCustomer(Number(input.customer_id));
    if (!customer) throw new Error("no customer");
    store.findAccount(customer.accountId);
    const invoice = store.insertInvoice({
      customerId: customer.id,
      purchaseDate: input.purchase_date,
      purchasePriceCents: input.purchase_price_cents,
      currency: "USD",
      createdDate: at.toISOString(),
    });
    store.appendEvent(envelopeOf(invoiceCreated(invoice), uuidv7(), at));
    return { status: 201, body: invoiceView(invoice) };
  });
};
// 50 clients, each sending its next write when the last is answered (as wrk's connections do).
const run = (n: number) =>
  Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let i = 0; i < n / 50; i++) await write();
    }),
  );
await run(2000);
const total = Number(process.env.REQUESTS ?? 20000);
const cpu = process.cpuUsage();
const started = performance.now();
await run(total);
const wall = performance.now() - started;
const used = process.cpuUsage(cpu);
process.stdout.write(
  `${total} writes: ${((wall * 1000) / total).toFixed(1)} µs wall, ${((used.user + used.system) / total).toFixed(1)} µs cpu per write\n`,
);
database.close();
rmSync(dir, { recursive: true, force: true });
