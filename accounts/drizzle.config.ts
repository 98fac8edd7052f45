import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: [
    "./accounts/tables.ts",
    "./shared/outbox/table.ts",
    "./shared/projection/tables.ts",
    "./shared/http/idempotency.ts",
  ],
  out: "./migrations/accounts",
});
