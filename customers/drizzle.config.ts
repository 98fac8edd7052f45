import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: [
    "./customers/store.ts",
    "./shared/outbox/relay.ts",
    "./shared/projection/tables.ts",
    "./shared/http/idempotency.ts",
  ],
  out: "./migrations/customers",
});
