import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: [
    "./accounts/store.ts",
    "./accounts/sessions.ts",
    "./shared/outbox.ts",
    "./shared/projection-store.ts",
    "./shared/idempotency.ts",
  ],
  out: "./migrations/accounts",
});
