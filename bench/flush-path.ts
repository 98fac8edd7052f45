import { uuidv7 } from "uuidv7";
import { invoiceCreated, invoiceView } from "../customers/domain";
import { createCustomersStore } from "../customers/store";
import { envelopeOf } from "../shared/events/wire";
import { idempotencyKeyOf } from "../shared/http/idempotency";
import { measure, seededCustomersDatabase } from "./in-process";

// The SQLite side of POST /invoices alone: 50 clients writing invoices through the store's group commit
// (FULL fsync), µs per write. `bun bench/flush-path.ts`; not part of the suite.
const database = seededCustomersDatabase("flush-path-");
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
const total = Number(process.env.REQUESTS ?? 20000);
// 50 clients, each sending its next write when the last is answered (as wrk's connections do).
const { wallUs, cpu } = await measure(total, (n) =>
  Promise.all(
    Array.from({ length: 50 }, async () => {
      for (let i = 0; i < n / 50; i++) await write();
    }),
  ).then(() => {}),
);
process.stdout.write(
  `${total} writes: ${(wallUs / total).toFixed(1)} µs wall, ${((cpu.user + cpu.system) / total).toFixed(1)} µs cpu per write\n`,
);
database.remove();
