import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: [
    "./customers/tables.ts",
    "./shared/outbox/table.ts",
    "./shared/projection/tables.ts",
    "./shared/http/idempotency.ts",
  ],
  out: "./migrations/customers",
});
