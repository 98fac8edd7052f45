import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: [
    "./accounts/store.ts",
    "./accounts/auth/sessions.ts",
    "./shared/outbox/relay.ts",
    "./shared/projection/tables.ts",
    "./shared/http/idempotency.ts",
  ],
  out: "./migrations/accounts",
});
