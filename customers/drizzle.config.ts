import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: [
    "./customers/store.ts",
    "./shared/outbox.ts",
    "./shared/projection-store.ts",
    "./shared/idempotency.ts",
  ],
  out: "./migrations/customers",
});
