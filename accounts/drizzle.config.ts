import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: ["./accounts/store.ts", "./shared/outbox.ts", "./shared/projection.ts"],
  out: "./migrations/accounts",
});
